/**
 * The point of sale's public surface: the contactless kernel, the terminal that takes a payment
 * online over ISO 8583, and the receipt. README.md describes the transaction and its outcomes.
 */
export { FIELD_55_TAGS, PPSE_NAME, RECORDS_READ_MAX, runContactlessKernel } from './kernel.js';
export type { CardData, ContactlessLink, KernelOutcome, TerminalTransaction } from './kernel.js';
export {
  buildFinancialRequest, formatReceipt, maskPAN, MERCHANT_ID_LENGTH, pay, POS_ENTRY_MODE_CONTACTLESS, TERMINAL_ID_LENGTH,
} from './terminal.js';
export type { AcquirerLink, PaymentRequest, PaymentResult, Receipt, TerminalIdentity } from './terminal.js';
export { PosErrorCode } from './errors.js';
