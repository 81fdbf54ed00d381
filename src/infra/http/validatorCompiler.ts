import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

/**
 * Validates request parts with TypeBox's compiled checker rather than Fastify's Ajv. The reason is
 * what happens to unknown fields: Fastify's Ajv is configured with `removeAdditional`, which
 * silently drops fields that `additionalProperties: false` forbids; TypeBox refuses the request,
 * which is what "fail closed" means for a payment API.
 *
 * Path, query and header values arrive as strings and are converted to the schema's types (as
 * Fastify's `coerceTypes` does); a JSON body already has types and is never converted, so `"100"`
 * is not an amount. Schema defaults are applied to every part.
 */
export const typeBoxValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const validator = Compile(schema);
  return (value: unknown) => {
    const converted = httpPart === 'body' ? value : validator.Convert(value);
    const candidate = validator.Default(converted);
    if (validator.Check(candidate)) return { value: candidate };
    // Fastify keeps this array as `error.validation`; the error handler words it.
    return { error: validator.Errors(candidate) };
  };
};
