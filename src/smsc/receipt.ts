import type { MessageState } from './schema.js';
import { formatReceiptDate } from './smppTime.js';

/** SMPP 3.4 §5.2.28 message_state values, carried in the message_state TLV of a receipt. */
export const MESSAGE_STATE_VALUE: Readonly<Record<MessageState, number>> = {
  ENROUTE: 1, DELIVERED: 2, EXPIRED: 3, UNDELIVERABLE: 5, REJECTED: 8,
};

/** The 7-letter stat of a receipt (SMPP 3.4 Appendix B, Table B-2). */
export const RECEIPT_STAT: Readonly<Record<MessageState, string>> = {
  ENROUTE: 'ENROUTE', DELIVERED: 'DELIVRD', EXPIRED: 'EXPIRED', UNDELIVERABLE: 'UNDELIV', REJECTED: 'REJECTD',
};

/** Characters of the original text a receipt repeats (Appendix B: "the first 20 characters"). */
export const RECEIPT_TEXT_CHARS_MAX = 20;

export interface ReceiptFields {
  readonly messageId: string;
  readonly submitted: number;
  readonly delivered: number;
  readonly submitMs: number;
  readonly doneMs: number;
  readonly state: MessageState;
  readonly errorCode: number;
  readonly text: string;
}

/**
 * The short_message of a delivery receipt, SMPP 3.4 Appendix B:
 * "id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text:…".
 * The text is cut to the GSM-safe characters most ESMEs parse ("text:" lower case, as most SMSCs write it).
 */
export function formatReceipt(fields: ReceiptFields): string {
  const three = (value: number) => String(Math.min(999, Math.max(0, value))).padStart(3, '0');
  const text = [...fields.text].slice(0, RECEIPT_TEXT_CHARS_MAX).join('').replace(/[^\x20-\x7E]/g, '?');
  return `id:${fields.messageId} sub:${three(fields.submitted)} dlvrd:${three(fields.delivered)} `
    + `submit date:${formatReceiptDate(fields.submitMs)} done date:${formatReceiptDate(fields.doneMs)} `
    + `stat:${RECEIPT_STAT[fields.state]} err:${three(fields.errorCode)} text:${text}`;
}

export interface ParsedReceipt {
  readonly id: string;
  readonly sub: string;
  readonly dlvrd: string;
  readonly submitDate: string;
  readonly doneDate: string;
  readonly stat: string;
  readonly err: string;
  readonly text: string;
}

const RECEIPT_PATTERN = /^id:(\S{1,65}) sub:(\d{1,3}) dlvrd:(\d{1,3}) submit date:(\d{10,12}) done date:(\d{10,12}) stat:([A-Z]{7}) err:(\S{1,3})(?: [Tt]ext:(.*))?$/s;

/** Reads a receipt's short_message (for ESMEs written with this package); undefined when it is not one. */
export function parseReceipt(shortMessage: string): ParsedReceipt | undefined {
  const match = RECEIPT_PATTERN.exec(shortMessage);
  if (match === null) return undefined;
  return {
    id: match[1] ?? '', sub: match[2] ?? '', dlvrd: match[3] ?? '', submitDate: match[4] ?? '', doneDate: match[5] ?? '',
    stat: match[6] ?? '', err: match[7] ?? '', text: match[8] ?? '',
  };
}
