export {
  DOCS_ROUTE_PREFIX,
  HTTP_BODY_BYTES_MAX,
  HTTP_REQUEST_TIMEOUT_MS,
  TLS_VERSION_MIN,
  buildHttpApp,
} from './buildHttpApp.js';
export type { HttpApp, HttpAppOptions, HttpTlsOptions, OpenAPIInfo } from './buildHttpApp.js';
export { getVerifiedClientCertificate } from './clientCertificate.js';
export { ErrorResponse, errorResponses } from './errorResponse.js';
export { HttpErrorCode } from './errors.js';
export { HEALTH_CHECK_TIMEOUT_MS, HEALTH_ROUTE_PATH, HealthResponse, addHealthRoute } from './health.js';
export type { HealthRouteOptions } from './health.js';
export { LISTEN_HOST_DEFAULT, listen } from './listen.js';
export type { ListenOptions, ListeningServer } from './listen.js';
export { INTERNAL_ERROR_MESSAGE, TESSERA_ERROR_STATUS_DEFAULT, describeRequestValidation, mapError } from './mapError.js';
export type { MappedError } from './mapError.js';
export { REQUEST_ID_CHARACTERS_MAX, REQUEST_ID_HEADER, createRequestIdGenerator, isSaneRequestId } from './requestId.js';
export { typeBoxValidatorCompiler } from './validatorCompiler.js';
