// The SMS center's public surface for other domains and the CLI (DESIGN.md §2: domains meet
// through client.ts). The wire protocols are SMPP 3.4 for applications and the handset protocol
// for phones (docs/smsc.md).
export { startSMSC, type RunningSMSC, type SMSCConfig, type SMSCDeps } from './server.js';
export { SMSC_SCHEMA, smscMigrations, type MessageState, type SmscDatabase } from './schema.js';
export { SmscErrorCode } from './errors.js';
export { SmscLimits } from './limits.js';
export {
  createESMEAccount, normalizeMSISDN, registerHandset, type ESMEAccountInput, type HandsetRegistration,
} from './accounts.js';
export { listInbox, messageStatus, type InboxEntry, type MessageStatus } from './inbox.js';
export { connectHandset, type HandsetClient, type HandsetClientOptions, type HandsetMessage } from './handsetClient.js';
export { parseReceipt, type ParsedReceipt } from './receipt.js';
export type { TextMessage } from './submit.js';
export type { HandsetEvent, HandsetRequest } from './handsetProtocol.js';
export {
  connectSMPP, SMPP_CLIENT_REQUEST_TIMEOUT_MS, type IncomingReceipt, type IncomingText, type SendTextInput, type SMPPClient, type SMPPClientOptions,
} from './smppClient.js';
