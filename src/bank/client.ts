/**
 * The bank domain's public surface (issuer and acquirer): for the CLI (composition root), the
 * ISO 8583 server and other domains. Internals stay behind it (src/bank/README.md).
 */
export { BANK_SCHEMA, bankMigrations } from './schema.js';
export type { AccountKind, AuthorizationKind, BankDatabase, CardStatus, EntryKind, HoldStatus } from './schema.js';
export type { BankContext } from './context.js';
export { BankErrorCode } from './errors.js';
export { ResponseCode } from './responseCodes.js';
export type { DeclineReason } from './responseCodes.js';
export * as BankLimits from './limits.js';

export { createBankService } from './service.js';
export type { BankService } from './service.js';
export { createAuthorizationBatcher } from './authorizationBatcher.js';
export type { AuthorizationBatcher, AuthorizationBatcherOptions, BatcherStatistics } from './authorizationBatcher.js';
export { authorize } from './authorize.js';
export type { AuthorizeRequest, CardForCryptogram, CryptogramCheck } from './authorize.js';
export type { AuthorizationResult, TransactionKey } from './authorizationRecord.js';
export { capture } from './capture.js';
export type { CaptureResult } from './capture.js';
export { reverse } from './reverse.js';
export type { ReversalEffect, ReversalResult } from './reverse.js';
export { refund } from './refund.js';
export type { RefundRequest } from './refund.js';
export { runClearing } from './clearing.js';
export type { ClearingResult, MerchantSettlement } from './clearing.js';
export { auditLedger, formatAuditReport } from './audit.js';
export type { AuditCheck, AuditReport } from './audit.js';

export { createCustomer, deposit, getAccount, listAccounts, openCustomerAccount } from './accounts.js';
export type { Account } from './accounts.js';
export { addBinRange, addIssuerMasterKey, issueCard, setCardStatus } from './cards.js';
export type { CardIssue } from './cards.js';
export { addMerchant, addTerminal } from './acquirer.js';

// ISO 8583 over TCP: the bank's hosts, and the channel terminals and other hosts use to reach them.
export { startBank, dialectByName } from './network/server.js';
export type { BankServerConfig, BankServerDeps, ISO8583DialectName, RunningBank } from './network/server.js';
export {
  buildReversal, ISO8583ChannelErrorCode, ISO8583Client, ISO8583_REQUEST_TIMEOUT_MS, ISO8583_REVERSAL_ATTEMPTS_MAX, startISO8583Server,
} from './network/channel.js';
export type { ISO8583ClientOptions, ISO8583Server, ISO8583ServerOptions, RequestOptions } from './network/channel.js';
export { createIssuerHandler, parseTransmissionDateTime } from './network/issuerHost.js';
export { createAcquirerHandler } from './network/acquirerHost.js';
export type { IssuerRoute } from './network/acquirerHost.js';

// Card-not-present purchases from an online payment gateway (docs/bank.md "Card not present").
export {
  authorizeCardNotPresent, CARDHOLDER_AUTHENTICATION_PATTERN, enableCardNotPresent, formatCardholderAuthentication, parseCardholderAuthentication,
} from './authorizeCardNotPresent.js';
export type { CardholderAuthentication } from './authorizeCardNotPresent.js';
export { CARD_NOT_PRESENT_ENTRY_MODE, ECOMMERCE_CONDITION_CODE } from './network/issuerHost.js';
