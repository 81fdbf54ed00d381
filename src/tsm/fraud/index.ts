/** The TSM's fraud feed (seed 000 [0090], docs/fraud-feed.md): payment attestations in, velocity counts out. */
export { recordPaymentReport } from './recordPaymentReport.js';
export type { ReceivedPaymentReport, RecordedPaymentReport } from './recordPaymentReport.js';
export { paymentVelocity, VELOCITY_WINDOW_SECONDS_MAX, VELOCITY_WINDOW_SECONDS_MIN } from './paymentVelocity.js';
export type { Velocity, VelocityQuery } from './paymentVelocity.js';
export { FraudErrorCode } from './errors.js';
export { fraudMigrations } from './schema.js';
export type { FraudTables } from './schema.js';
export { registerFraudRoutes } from './routes.js';
export type { FraudRouteApps } from './routes.js';
