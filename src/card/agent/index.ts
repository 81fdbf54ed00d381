/**
 * The card's admin agent: GlobalPlatform Amendment B (RAM over HTTP) on the device side, relaying
 * the TSM's command scripts to a card and its responses back. docs/ota.md.
 */
export { CardAgentErrorCode } from './errors.js';
export { createAdminClient } from './createAdminClient.js';
export type { AdminAnswer, AdminClient, AdminClientOptions, AdminPost } from './createAdminClient.js';
export { readCardCIN } from './readCardCIN.js';
export {
  CARD_AGENT_BACKOFF_MS_MAX, CARD_AGENT_BACKOFF_MS_MIN, CARD_AGENT_POLL_DELAY_MS, CARD_AGENT_REQUEST_TIMEOUT_MS,
  CARD_AGENT_RESEND_ATTEMPTS_MAX, runCardAgent,
} from './runCardAgent.js';
export type { CardAgentEvent, CardAgentOptions } from './runCardAgent.js';
export { runScript } from './runScript.js';
export type { ScriptRun } from './runScript.js';
