/**
 * Which log fields are secret by name. Two layers use this list: pino's path redaction (fast,
 * but pino paths only reach a fixed depth) and the value sanitizer, which checks every key at
 * every depth. A field name is compared after lower-casing and dropping `_` and `-`, so
 * `api_key`, `apiKey` and `API-KEY` are the same name.
 */

/** The text that replaces a secret value in a log line. */
export const REDACTED = '[REDACTED]';

/** Field names that are secret wherever they appear (normalized: lower case, no `_` or `-`). */
export const SECRET_FIELD_NAMES: readonly string[] = [
  'password',
  'passphrase',
  'pin',
  'pinblock',
  'key',
  'keys',
  'secret',
  'token',
  'otp',
  'pan',
  'tokenpan',
  'cardnumber',
  'primaryaccountnumber',
  'cvv',
  'cvv2',
  'cvc',
  'cvc2',
  'icvv',
  'track1',
  'track2',
  'track2equivalentdata',
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
];

/**
 * Suffixes that make a name secret: `macKey`, `sessionKeys`, `adminPassword`, `clientSecret`,
 * `accessToken`. Kept to suffixes so that identifiers such as `keyId` or `keyVersion`, which
 * help when reading a log, stay visible.
 */
export const SECRET_FIELD_SUFFIXES: readonly string[] = ['key', 'keys', 'password', 'secret', 'token'];

const SECRET_NAME_SET = new Set(SECRET_FIELD_NAMES);

function normalizeFieldName(name: string): string {
  return name.toLowerCase().replace(/[_-]/g, '');
}

export function isSecretFieldName(name: string): boolean {
  const normalized = normalizeFieldName(name);
  if (SECRET_NAME_SET.has(normalized)) return true;
  return SECRET_FIELD_SUFFIXES.some((suffix) => normalized.endsWith(suffix));
}

/**
 * pino `redact` paths: each secret name at the top level and one and two levels down, plus the
 * HTTP headers that carry credentials. The sanitizer covers deeper nesting; these paths are the
 * second, independent guard for the common shapes.
 */
export const REDACTED_LOG_PATHS: readonly string[] = [
  ...SECRET_FIELD_NAMES.flatMap((name) => [name, `*.${name}`, `*.*.${name}`]),
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers["proxy-authorization"]',
  'headers.cookie',
  'headers["set-cookie"]',
];
