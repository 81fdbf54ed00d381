import { Type } from 'typebox';
import type { Static, TObject } from 'typebox';

/**
 * The one shape of every error answer. Put it on every error status of every route
 * (`response: { 200: Thing, ...errorResponses(400, 404, 500) }`) so the OpenAPI document is
 * honest and the serializer writes nothing beyond these fields.
 */
export const ErrorResponse = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.String({ description: 'Stable machine-readable code, e.g. ERR_VALIDATION. Public API.' }),
        message: Type.String({ description: 'For people; wording may change.' }),
        requestId: Type.String({ description: 'Quote it when reporting a problem: the log has the detail.' }),
        details: Type.Optional(
          Type.Record(Type.String(), Type.Unknown(), { description: 'Machine-readable detail; never secrets.' }),
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, description: 'Error' },
);
export type ErrorResponse = Static<typeof ErrorResponse>;

/** `{ 400: ErrorResponse, 404: ErrorResponse }` for the given statuses, to spread into `response`. */
export function errorResponses<const Status extends number>(...statuses: readonly Status[]): Record<Status, TObject> {
  const responses = {} as Record<Status, TObject>;
  for (const status of statuses) responses[status] = ErrorResponse;
  return responses;
}
