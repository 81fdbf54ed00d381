import type { AuthorizationResult, TransactionKey } from './authorizationRecord.js';
import { auditLedger, type AuditReport } from './audit.js';
import type { AuthorizeRequest } from './authorize.js';
import { createAuthorizationBatcher, type AuthorizationBatcherOptions, type BatcherStatistics } from './authorizationBatcher.js';
import { capture, type CaptureResult } from './capture.js';
import { runClearing, type ClearingResult } from './clearing.js';
import { requireContext, type BankContext } from './context.js';
import { refund, type RefundRequest } from './refund.js';
import { reverse, type ReversalResult } from './reverse.js';

/** The issuer's and acquirer's authorization API, bound to one context: what the ISO 8583 server calls. */
export interface BankService {
  /** Group-committed: concurrent calls share one transaction and one COMMIT (docs/bank.md "Group commit"). */
  authorize(request: AuthorizeRequest): Promise<AuthorizationResult>;
  capture(holdId: string, amountMinor?: bigint): Promise<CaptureResult>;
  reverse(original: TransactionKey): Promise<ReversalResult>;
  refund(request: RefundRequest): Promise<AuthorizationResult>;
  runClearing(businessDate: string): Promise<ClearingResult>;
  audit(): Promise<AuditReport>;
  /** How the authorizations were batched so far (batches, largest batch, splits). */
  readonly authorizationStatistics: Readonly<BatcherStatistics>;
  /** Batches that may run at once (AuthorizationBatcherOptions.lanes). */
  readonly authorizationLanes: number;
}

/** One batcher per service: one queue, and up to `options.lanes` batches in flight, per process (per service). */
export function createBankService(context: BankContext, options: AuthorizationBatcherOptions = {}): BankService {
  requireContext(context);
  const batcher = createAuthorizationBatcher(context, options);
  return {
    authorize: (request) => batcher.authorize(request),
    authorizationStatistics: batcher.statistics,
    authorizationLanes: batcher.lanes,
    capture: (holdId, amountMinor) => capture(context, holdId, amountMinor),
    reverse: (original) => reverse(context, original),
    refund: (request) => refund(context, request),
    runClearing: (businessDate) => runClearing(context, businessDate),
    audit: () => auditLedger(context.db),
  };
}
