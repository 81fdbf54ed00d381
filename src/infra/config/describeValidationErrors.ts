/**
 * One schema error as TypeBox reports it (`TLocalizedValidationError`). Ajv's errors, which a
 * Fastify plugin may still produce, have the same outline, so both are accepted.
 */
export interface SchemaValidationError {
  readonly keyword: string;
  readonly instancePath: string;
  readonly schemaPath: string;
  readonly params: object;
  readonly message?: string;
}

/** One thing wrong with a value, located by JSON Pointer (`/http/port`; `` is the whole value). */
export interface ValidationIssue {
  readonly path: string;
  readonly message: string;
}

/** `/anyOf/<n>` at the end of a schema path: the error is about one branch of a union. */
const UNION_BRANCH = /\/anyOf\/[0-9]+$/;

function escapePointerSegment(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** RFC 6901 JSON Pointer for a path of property names: ['http', 'port'] → `/http/port`. */
export function toJSONPointer(path: readonly string[]): string {
  return path.map((segment) => `/${escapePointerSegment(segment)}`).join('');
}

/** Property names listed by a required or additionalProperties error (TypeBox: array; Ajv: one string). */
function namedProperties(params: object, arrayKey: string, singleKey: string): string[] {
  const record = params as Record<string, unknown>;
  const many = record[arrayKey];
  if (Array.isArray(many)) return many.filter((name): name is string => typeof name === 'string');
  const one = record[singleKey];
  return typeof one === 'string' ? [one] : [];
}

function quoteAll(values: unknown): string {
  return Array.isArray(values) ? values.map((value) => JSON.stringify(value)).join(', ') : '';
}

/**
 * Turns raw schema errors into one issue per bad path, worded for a person. TypeBox reports a
 * union failure once per branch plus once for the union, and an unknown property twice (as the
 * property and as its parent object); a person wants one line for each. Messages name the rule
 * (`must be integer`, `must be one of "info", "debug"`), never the received value, so the issues
 * are safe to return to a caller and to log.
 */
export function describeValidationErrors(errors: readonly SchemaValidationError[]): ValidationIssue[] {
  const allowedByUnion = new Map<string, unknown[]>();
  for (const error of errors) {
    if (error.keyword !== 'const' || !UNION_BRANCH.test(error.schemaPath)) continue;
    const unionKey = `${error.schemaPath.replace(UNION_BRANCH, '')} ${error.instancePath}`;
    const allowed = allowedByUnion.get(unionKey) ?? [];
    allowed.push((error.params as Record<string, unknown>)['allowedValue']);
    allowedByUnion.set(unionKey, allowed);
  }

  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  const add = (path: string, message: string): void => {
    const key = `${path} ${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    issues.push({ path, message });
  };
  for (const error of errors) {
    // Branch errors are summarized by the union's own error below.
    if (error.schemaPath.includes('/anyOf/')) continue;
    const message = error.message ?? `fails ${error.keyword}`;
    switch (error.keyword) {
      case 'required':
        for (const name of namedProperties(error.params, 'requiredProperties', 'missingProperty')) {
          add(`${error.instancePath}/${escapePointerSegment(name)}`, 'is required');
        }
        break;
      case 'additionalProperties':
        for (const name of namedProperties(error.params, 'additionalProperties', 'additionalProperty')) {
          add(`${error.instancePath}/${escapePointerSegment(name)}`, 'is not allowed');
        }
        break;
      case 'boolean':
        // `additionalProperties: false` fails once more per unknown property as "schema is false";
        // the parent's additionalProperties error above already names the property.
        if (!error.schemaPath.endsWith('/additionalProperties')) add(error.instancePath, message);
        break;
      case 'enum':
        add(error.instancePath, `must be one of ${quoteAll((error.params as Record<string, unknown>)['allowedValues'])}`);
        break;
      case 'anyOf': {
        const allowed = allowedByUnion.get(`${error.schemaPath} ${error.instancePath}`);
        add(error.instancePath, allowed === undefined ? 'must match one of the allowed forms' : `must be one of ${quoteAll(allowed)}`);
        break;
      }
      default:
        add(error.instancePath, message);
    }
  }
  return issues;
}
