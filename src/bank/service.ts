import type { AuthorizationResult, TransactionKey } from './authorizationRecord.js';
import { auditLedger, type AuditReport } from './audit.js';
import { authorize, type AuthorizeRequest } from './authorize.js';
import { capture, type CaptureResult } from './capture.js';
import { runClearing, type ClearingResult } from './clearing.js';
import { requireContext, type BankContext } from './context.js';
import { refund, type RefundRequest } from './refund.js';
import { reverse, type ReversalResult } from './reverse.js';

/** The issuer's and acquirer's authorization API, bound to one context: what the ISO 8583 server calls. */
export interface BankService {
  authorize(request: AuthorizeRequest): Promise<AuthorizationResult>;
  capture(holdId: string, amountMinor?: bigint): Promise<CaptureResult>;
  reverse(original: TransactionKey): Promise<ReversalResult>;
  refund(request: RefundRequest): Promise<AuthorizationResult>;
  runClearing(businessDate: string): Promise<ClearingResult>;
  audit(): Promise<AuditReport>;
}

export function createBankService(context: BankContext): BankService {
  requireContext(context);
  return {
    authorize: (request) => authorize(context, request),
    capture: (holdId, amountMinor) => capture(context, holdId, amountMinor),
    reverse: (original) => reverse(context, original),
    refund: (request) => refund(context, request),
    runClearing: (businessDate) => runClearing(context, businessDate),
    audit: () => auditLedger(context.db),
  };
}
