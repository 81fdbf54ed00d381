/**
 * The gateway domain's public surface (seed 002 online payment platform) for the CLI and tests.
 */
export { startGateway, GATEWAY_VERSION } from './server.js';
export type { GatewayConfig, GatewayDeps, RunningGateway } from './server.js';
export { setupGatewayDemo } from './demo.js';
export type { GatewayDemo, GatewayDemoInput } from './demo.js';
export { GATEWAY_SCHEMA, gatewayMigrations } from './schema.js';
export type { GatewayDatabase, PaymentStatus } from './schema.js';
export type { GatewayContext, GatewayPolicy } from './context.js';
export { GatewayErrorCode } from './errors.js';
export * as GatewayLimits from './limits.js';
export { createGatewayPki, issuePartnerCertificate, fingerprintOf, partnerURN } from './pki.js';
export type { GatewayPki, PemCredential } from './pki.js';
export { onboardBank, onboardMerchant, webhookSecretOf } from './partners.js';
export type { PartnerOnboarding } from './partners.js';
export { addCard, addPhone, changePassword, enrolCustomer, setCustomerStatus, setLimits } from './customers.js';
export type { EnrolCustomerInput } from './customers.js';
export { SIGNATURE_HEADER, signWebhook, verifyWebhook } from './webhookSignature.js';
export { createPartnerClient } from './merchantClient.js';
export type { PartnerClient } from './merchantClient.js';
export { deliverOutboxOnce } from './outbox.js';
export type { OutboxTransport } from './outbox.js';
export { listTransitions } from './payments.js';
export { CheckoutFormClient } from './formClient.js';
export type { FormPage } from './formClient.js';
