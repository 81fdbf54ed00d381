import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Type } from 'typebox';
import { Settings } from 'typebox/system';
import {
  CONFIG_FILE_BYTES_MAX,
  collectConfigLeaves,
  environmentName,
  loadConfig,
  toUpperSnakeCase,
} from '../../../src/infra/config/index.js';
import type { ConfigIssue } from '../../../src/infra/config/index.js';
import { LogLevelSchema } from '../../../src/infra/log/index.js';
import { TesseraError } from '../../../src/lib/errors.js';

const GatewayConfig = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
    logLevel: LogLevelSchema,
    databaseUrl: Type.String({ pattern: '^postgres(ql)?://' }),
    adminPassword: Type.String({ minLength: 12 }),
    label: Type.String({ default: 'gateway' }),
    allowedOrigins: Type.Array(Type.String(), { default: [] }),
    http: Type.Object(
      {
        trustProxy: Type.Boolean({ default: false }),
        bodyLimitBytes: Type.Integer({ minimum: 1, default: 65536 }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

const REQUIRED_ENV = {
  TESSERA_GATEWAY_DATABASE_URL: 'postgres://tessera@localhost/tessera',
  TESSERA_GATEWAY_ADMIN_PASSWORD: 'correct horse battery',
};

const directory = mkdtempSync(join(tmpdir(), 'tessera-config-'));
after(() => rmSync(directory, { recursive: true, force: true }));
function writeConfigFile(name: string, contents: string): string {
  const path = join(directory, name);
  writeFileSync(path, contents);
  return path;
}

function invalidIssues(run: () => unknown): { message: string; issues: ConfigIssue[] } {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof TesseraError);
    assert.equal(error.code, 'ERR_CONFIG_INVALID');
    return { message: error.message, issues: error.details?.['issues'] as ConfigIssue[] };
  }
  assert.fail('expected ERR_CONFIG_INVALID');
}

describe('environment variable names', () => {
  it('follow the documented rule', () => {
    assert.equal(toUpperSnakeCase('databaseUrl'), 'DATABASE_URL');
    assert.equal(toUpperSnakeCase('SCP03Keys'), 'SCP03_KEYS');
    assert.equal(toUpperSnakeCase('HTTPPort'), 'HTTP_PORT');
    assert.equal(environmentName('TESSERA_GATEWAY', ['http', 'bodyLimitBytes']), 'TESSERA_GATEWAY_HTTP_BODY_LIMIT_BYTES');
    const names = collectConfigLeaves(GatewayConfig, 'TESSERA_GATEWAY').map((leaf) => leaf.environmentNames.join(' | '));
    assert.ok(names.includes('TESSERA_GATEWAY_DATABASE_URL | DATABASE_URL'));
    assert.ok(names.includes('TESSERA_GATEWAY_HTTP_TRUST_PROXY'));
  });

  it('refuse a schema in which two settings share a name', () => {
    const Clashing = Type.Object({ httpPort: Type.Integer(), http: Type.Object({ port: Type.Integer() }) });
    assert.throws(() => collectConfigLeaves(Clashing, 'TESSERA'), /both map to TESSERA_HTTP_PORT/);
  });
});

describe('loadConfig', () => {
  it('layers defaults < file < environment < overrides', () => {
    const file = writeConfigFile('layers.json', JSON.stringify({ host: '0.0.0.0', port: 7000, label: 'from-file', http: { bodyLimitBytes: 1000 } }));
    const config = loadConfig(GatewayConfig, {
      envPrefix: 'TESSERA_GATEWAY',
      file,
      env: { ...REQUIRED_ENV, TESSERA_GATEWAY_PORT: '7001', TESSERA_GATEWAY_LABEL: 'from-env' },
      overrides: { label: 'from-override' },
    });
    assert.deepEqual(config, {
      host: '0.0.0.0', // file over default
      port: 7001, // environment over file
      label: 'from-override', // override over environment
      logLevel: 'info', // default
      databaseUrl: REQUIRED_ENV.TESSERA_GATEWAY_DATABASE_URL,
      adminPassword: REQUIRED_ENV.TESSERA_GATEWAY_ADMIN_PASSWORD,
      allowedOrigins: [],
      http: { trustProxy: false, bodyLimitBytes: 1000 }, // nested: file value kept, default filled in
    });
  });

  it('reads DATABASE_URL, and the prefixed name wins over it', () => {
    const env = { TESSERA_GATEWAY_ADMIN_PASSWORD: REQUIRED_ENV.TESSERA_GATEWAY_ADMIN_PASSWORD, DATABASE_URL: 'postgres://shared/db' };
    assert.equal(loadConfig(GatewayConfig, { envPrefix: 'TESSERA_GATEWAY', env }).databaseUrl, 'postgres://shared/db');
    const both = { ...env, TESSERA_GATEWAY_DATABASE_URL: 'postgres://gateway/db' };
    assert.equal(loadConfig(GatewayConfig, { envPrefix: 'TESSERA_GATEWAY', env: both }).databaseUrl, 'postgres://gateway/db');
  });

  it('converts environment strings by the schema, and nothing fuzzy', () => {
    const config = loadConfig(GatewayConfig, {
      envPrefix: 'TESSERA_GATEWAY',
      env: {
        ...REQUIRED_ENV,
        TESSERA_GATEWAY_PORT: '0',
        TESSERA_GATEWAY_LABEL: '8080', // a string setting keeps digits as text
        TESSERA_GATEWAY_HTTP_TRUST_PROXY: 'true',
        TESSERA_GATEWAY_ALLOWED_ORIGINS: '["https://shop.example"]',
        TESSERA_GATEWAY_LOG_LEVEL: '', // empty counts as unset
      },
    });
    assert.equal(config.port, 0);
    assert.equal(config.label, '8080');
    assert.equal(config.http.trustProxy, true);
    assert.deepEqual(config.allowedOrigins, ['https://shop.example']);
    assert.equal(config.logLevel, 'info');

    const { issues } = invalidIssues(() =>
      loadConfig(GatewayConfig, { envPrefix: 'TESSERA_GATEWAY', env: { ...REQUIRED_ENV, TESSERA_GATEWAY_PORT: ' 80', TESSERA_GATEWAY_HTTP_TRUST_PROXY: 'yes' } }),
    );
    assert.deepEqual(issues.map((issue) => issue.path).sort(), ['/http/trustProxy', '/port']);
  });

  it('lists every bad setting with where it came from', () => {
    const file = writeConfigFile('bad.json', JSON.stringify({ port: 'eighty', unknownSetting: true }));
    const { message, issues } = invalidIssues(() =>
      loadConfig(GatewayConfig, {
        envPrefix: 'TESSERA_GATEWAY',
        file,
        env: { TESSERA_GATEWAY_LOG_LEVEL: 'loud', TESSERA_GATEWAY_HTTP_BODY_LIMIT_BYTES: '0' },
        overrides: { allowedOrigins: [7 as unknown as string] },
      }),
    );
    // More problems than TypeBox reports by default (8 raw errors; one bad log level alone is 8).
    assert.deepEqual(
      issues.map((issue) => [issue.path, issue.message, issue.source]),
      [
        ['/databaseUrl', 'is required', undefined],
        ['/adminPassword', 'is required', undefined],
        ['/unknownSetting', 'is not allowed', `file ${file}`],
        ['/port', 'must be integer', `file ${file}`],
        ['/logLevel', 'must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent"', 'environment variable TESSERA_GATEWAY_LOG_LEVEL'],
        ['/allowedOrigins/0', 'must be string', 'override'],
        ['/http/bodyLimitBytes', 'must be >= 1', 'environment variable TESSERA_GATEWAY_HTTP_BODY_LIMIT_BYTES'],
      ],
    );
    assert.match(message, /\/port must be integer \(from file .*bad\.json, received "eighty"\)/);
    assert.equal(Settings.Get().maxErrors, 8, 'TypeBox’s process-wide error limit is restored');
  });

  it('never quotes a secret or a URL back', () => {
    const secretPassword = 'short-pw';
    const secretUrl = 'mysql://admin:hunter2@db.internal/gateway';
    const { message, issues } = invalidIssues(() =>
      loadConfig(GatewayConfig, {
        envPrefix: 'TESSERA_GATEWAY',
        env: { TESSERA_GATEWAY_ADMIN_PASSWORD: secretPassword, DATABASE_URL: secretUrl, TESSERA_GATEWAY_LABEL: '' },
        overrides: { host: 4242424242424242 as unknown as string },
      }),
    );
    assert.ok(!message.includes(secretPassword));
    assert.ok(!message.includes('hunter2'));
    assert.ok(!message.includes('4242424242424242'), 'a PAN-like value is masked even under a harmless name');
    assert.match(message, /\/adminPassword must not have fewer than 12 characters \(from environment variable TESSERA_GATEWAY_ADMIN_PASSWORD, value hidden\)/);
    assert.match(message, /\/databaseUrl must match pattern .* \(from environment variable DATABASE_URL, value hidden\)/);
    assert.ok(!JSON.stringify(issues).includes(secretPassword));
  });

  it('reads only its arguments and changes none of them', () => {
    const env = { ...REQUIRED_ENV };
    const overrides = { http: { trustProxy: true } };
    const before = JSON.stringify({ env, overrides });
    process.env['TESSERA_GATEWAY_PORT'] = '9999';
    try {
      const first = loadConfig(GatewayConfig, { envPrefix: 'TESSERA_GATEWAY', env, overrides });
      const second = loadConfig(GatewayConfig, { envPrefix: 'TESSERA_GATEWAY', env, overrides });
      assert.equal(first.port, 8080, 'process.env is not read');
      assert.deepEqual(first, second);
      first.http.bodyLimitBytes = 1;
      assert.equal(JSON.stringify({ env, overrides }), before);
    } finally {
      delete process.env['TESSERA_GATEWAY_PORT'];
    }
  });

  it('refuses unreadable, oversized, malformed and non-object files without quoting them', () => {
    const isFileError = (pattern: RegExp) => (error: unknown) =>
      error instanceof TesseraError && error.code === 'ERR_CONFIG_FILE' && pattern.test(error.message);
    const options = { envPrefix: 'TESSERA_GATEWAY', env: REQUIRED_ENV };
    assert.throws(() => loadConfig(GatewayConfig, { ...options, file: join(directory, 'missing.json') }), isFileError(/cannot be read/));
    const malformed = writeConfigFile('malformed.json', '{"adminPassword": "do-not-echo-me",');
    assert.throws(
      () => loadConfig(GatewayConfig, { ...options, file: malformed }),
      (error: unknown) => isFileError(/is not valid JSON/)(error) && !String((error as Error).message).includes('do-not-echo-me') && (error as Error).cause === undefined,
    );
    assert.throws(() => loadConfig(GatewayConfig, { ...options, file: writeConfigFile('array.json', '[]') }), isFileError(/must hold a JSON object/));
    const huge = writeConfigFile('huge.json', `{"label": "${'x'.repeat(CONFIG_FILE_BYTES_MAX)}"}`);
    assert.throws(() => loadConfig(GatewayConfig, { ...options, file: huge }), isFileError(/the limit is/));
  });

  it('keeps an own __proto__ key in a file as data, reported as unknown', () => {
    const file = writeConfigFile('proto.json', '{"__proto__": {"polluted": true}}');
    const { issues } = invalidIssues(() => loadConfig(GatewayConfig, { envPrefix: 'TESSERA_GATEWAY', env: REQUIRED_ENV, file }));
    assert.deepEqual(issues.map((issue) => issue.path), ['/__proto__']);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });
});
