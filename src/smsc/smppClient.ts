import { randomInt } from 'node:crypto';
import smpp, { type PDU, type Session } from 'smpp';
import { TesseraError } from '../lib/errors.js';
import { segmentText } from '../lib/sms/index.js';
import { smscError, SmscErrorCode } from './errors.js';
import { parseReceipt, type ParsedReceipt } from './receipt.js';
import { formatRelativeSMPPTime } from './smppTime.js';

/** How long a request waits for its response. */
export const SMPP_CLIENT_REQUEST_TIMEOUT_MS = 10_000;
/** Concatenated messages being reassembled at once; the oldest is dropped beyond this. */
const REASSEMBLY_GROUPS_MAX = 100;

export interface IncomingText {
  readonly from: string;
  readonly to: string;
  readonly text: string;
}

export interface IncomingReceipt extends ParsedReceipt {
  /** The receipted_message_id TLV (SMPP 3.4 §5.3.2.12), when the SMSC sent it. */
  readonly receiptedMessageId: string | undefined;
}

export interface SMPPClientOptions {
  readonly host: string;
  readonly port: number;
  readonly systemId: string;
  readonly password: string;
  /** Default transceiver: send, and receive mobile-originated text and receipts on one session. */
  readonly bindAs?: 'transmitter' | 'receiver' | 'transceiver';
  readonly requestTimeoutMs?: number;
  readonly onText?: (message: IncomingText) => void;
  readonly onReceipt?: (receipt: IncomingReceipt) => void;
}

export interface SendTextInput {
  /** A source address the ESME owns; empty for its default. */
  readonly from?: string;
  readonly to: string;
  readonly text: string;
  /** Ask for a delivery receipt per part (registered_delivery 1). */
  readonly receipt?: boolean;
  readonly validityMs?: number;
}

export interface SMPPClient {
  /** Submits `text` (GSM 7-bit or UCS-2, concatenated when long); resolves with one message id per part. */
  sendText(input: SendTextInput): Promise<string[]>;
  enquireLink(): Promise<void>;
  /** unbind, then close. */
  close(): Promise<void>;
}

/**
 * An ESME for other Tessera services (the gateway's authorization codes): SMPP 3.4 over the `smpp`
 * package, with the same segmenting the SMSC uses. Any SMSC that speaks SMPP 3.4 will do.
 */
export async function connectSMPP(options: SMPPClientOptions): Promise<SMPPClient> {
  const timeoutMs = options.requestTimeoutMs ?? SMPP_CLIENT_REQUEST_TIMEOUT_MS;
  const session: Session = smpp.connect({ host: options.host, port: options.port });
  let failure: Error | undefined;
  let closed = false;
  session.on('error', (error: Error) => { failure = error; });
  session.on('close', () => { closed = true; });
  await new Promise<void>((resolve, reject) => {
    session.once('connect', () => resolve());
    session.once('error', (error: Error) => reject(smscError(SmscErrorCode.deliveryFailed, `no SMPP connection: ${error.message}`)));
  });

  function request(command: string, fields: Record<string, unknown>): Promise<PDU> {
    return new Promise((resolve, reject) => {
      if (failure !== undefined) {
        reject(smscError(SmscErrorCode.deliveryFailed, `the SMPP session failed: ${failure.message}`));
        return;
      }
      const timer = setTimeout(() => reject(smscError(SmscErrorCode.deliveryFailed, `no ${command}_resp within ${timeoutMs} ms`)), timeoutMs);
      const sent = session.send(new smpp.PDU(command, fields), (pdu) => {
        clearTimeout(timer);
        if (pdu.command_status === 0) resolve(pdu);
        else reject(new TesseraError(SmscErrorCode.smpp, `${command} refused with status 0x${pdu.command_status.toString(16)}`, { details: { commandStatus: pdu.command_status } }));
      });
      if (!sent) {
        clearTimeout(timer);
        reject(smscError(SmscErrorCode.deliveryFailed, 'the SMPP connection is closed'));
      }
    });
  }

  const reassembler = new Reassembler();
  session.on('deliver_sm', (pdu: PDU) => {
    session.send(pdu.response());
    onDeliverSm(pdu, options, reassembler);
  });

  await request(`bind_${options.bindAs ?? 'transceiver'}`, { system_id: options.systemId, password: options.password }).catch((error: unknown) => {
    session.destroy();
    throw error;
  });

  return {
    async sendText(input) {
      const { segments, withHeader, dataCoding } = segmentText(input.text, { reference: randomInt(0, 256) });
      const ids: string[] = [];
      for (const segment of segments) {
        const response = await request('submit_sm', {
          source_addr: input.from ?? '', destination_addr: input.to, esm_class: withHeader ? 0x40 : 0x00, data_coding: dataCoding,
          registered_delivery: input.receipt === true ? 1 : 0, short_message: Buffer.from(segment),
          ...(input.validityMs === undefined ? {} : { validity_period: formatRelativeSMPPTime(input.validityMs) }),
        });
        ids.push(stringField(response, 'message_id'));
      }
      return ids;
    },
    async enquireLink() {
      await request('enquire_link', {});
    },
    async close() {
      if (!closed) await request('unbind', {}).catch(() => undefined);
      // The SMSC closes after unbind_resp; 'close' fires once, so only wait for it while open.
      if (!closed) await new Promise<void>((resolve) => session.destroy(() => resolve()));
    },
  };
}

function stringField(pdu: PDU, name: string): string {
  const value = pdu[name];
  return typeof value === 'string' ? value : '';
}

/** Joins concatenated parts (UDH IEI 0x00 or 0x08) by source, destination, reference and total. */
class Reassembler {
  private readonly groups = new Map<string, (string | undefined)[]>();

  /** The whole text once `sequence` completes its group, else undefined. */
  add(key: string, total: number, sequence: number, text: string): string | undefined {
    const parts = this.groups.get(key) ?? new Array<string | undefined>(total).fill(undefined);
    parts[sequence - 1] = text;
    this.groups.set(key, parts);
    if (this.groups.size > REASSEMBLY_GROUPS_MAX) this.groups.delete(this.groups.keys().next().value ?? '');
    if (!parts.every((part) => part !== undefined)) return undefined;
    this.groups.delete(key);
    return parts.join('');
  }
}

/** One deliver_sm: a receipt (esm_class type 0x04) or text, possibly one part of several. */
function onDeliverSm(pdu: PDU, options: SMPPClientOptions, reassembler: Reassembler): void {
  const decoded = pdu['short_message'] as { message?: unknown; udh?: readonly Buffer[] } | undefined;
  const text = typeof decoded?.message === 'string' ? decoded.message : '';
  const from = stringField(pdu, 'source_addr');
  const to = stringField(pdu, 'destination_addr');
  if (((pdu['esm_class'] as number) & 0x3c) === 0x04) {
    const parsed = parseReceipt(text);
    const receiptedMessageId = typeof pdu['receipted_message_id'] === 'string' ? pdu['receipted_message_id'] : undefined;
    if (parsed !== undefined) options.onReceipt?.({ ...parsed, receiptedMessageId });
    return;
  }
  const concat = decoded?.udh?.find((element) => (element[0] === 0x00 && element[1] === 3) || (element[0] === 0x08 && element[1] === 4));
  if (concat === undefined) {
    options.onText?.({ from, to, text });
    return;
  }
  const wide = concat[0] === 0x08;
  const reference = wide ? ((concat[2] ?? 0) << 8) | (concat[3] ?? 0) : concat[2] ?? 0;
  const total = concat[wide ? 4 : 3] ?? 0;
  const sequence = concat[wide ? 5 : 4] ?? 0;
  if (total < 1 || sequence < 1 || sequence > total) return;
  const whole = reassembler.add(`${from}|${to}|${reference}|${total}`, total, sequence, text);
  if (whole !== undefined) options.onText?.({ from, to, text: whole });
}
