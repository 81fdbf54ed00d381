/**
 * The TSM's OTA delivery over HTTP: GlobalPlatform Amendment B (RAM over HTTP) with the expanded
 * remote APDU format of ETSI TS 102 226. docs/ota.md.
 */
export { checkBatchAnswer } from './checkBatchAnswer.js';
export { OTAErrorCode } from './errors.js';
export {
  OTA_AGENT_PRESENCE_MS, OTA_BATCH_ID_PATTERN, OTA_CARD_IDLE_MS, OTA_CARDS_MAX, OTA_EXCHANGE_TIMEOUT_MS, OTA_LINK_WAITERS_MAX,
  OTA_POLL_WAIT_MS, OTA_SWEEP_INTERVAL_MS, OTAGateway,
} from './OTAGateway.js';
export type { AgentAnswer, AgentRequest, OTACardLink, OTAExchangeRecord, OTAGatewayOptions, OTALogger } from './OTAGateway.js';
export { registerOTARoutes } from './registerOTARoutes.js';
export type { OTARouteOptions } from './registerOTARoutes.js';
