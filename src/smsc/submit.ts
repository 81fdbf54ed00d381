import type { Kysely } from 'kysely';
import type { RandomSource } from '../lib/crypto/index.js';
import { isTesseraError } from '../lib/errors.js';
import { decodeUserData, findConcat, segmentText, type ConcatInfo } from '../lib/sms/index.js';
import { addressesOf, esmeOwning, normalizeMSISDN } from './accounts.js';
import { decodeContent, encodeStoredText, isSupportedDataCoding } from './content.js';
import { smscError, SmscErrorCode } from './errors.js';
import { SmscLimits } from './limits.js';
import {
  CommandStatus, SMPPStatusError, TLV_SAR_MSG_REF_NUM, TLV_SAR_SEGMENT_SEQNUM, TLV_SAR_TOTAL_SEGMENTS, type SubmitFields,
} from './pdu.js';
import type { SmscDatabase } from './schema.js';
import { parseSMPPTime } from './smppTime.js';
import { storeMessage } from './store.js';

export interface SubmitContext {
  readonly db: Kysely<SmscDatabase>;
  readonly random: RandomSource;
  readonly now: () => number;
}

/** esm_class (SMPP 3.4 §5.2.12): bit 6 is the UDH indicator; bits 2-5 (message type) must be 0 in a submit. */
const ESM_CLASS_UDHI = 0x40;
const ESM_CLASS_TYPE_MASK = 0x3c;

function sarConcat(fields: SubmitFields): ConcatInfo | undefined {
  const reference = fields.tlvs.get(TLV_SAR_MSG_REF_NUM);
  const total = fields.tlvs.get(TLV_SAR_TOTAL_SEGMENTS);
  const sequence = fields.tlvs.get(TLV_SAR_SEGMENT_SEQNUM);
  if (reference === undefined && total === undefined && sequence === undefined) return undefined;
  // SMPP 3.4 §5.3.2.22-24: all three together, 2 + 1 + 1 octets.
  if (reference?.length !== 2 || total?.length !== 1 || sequence?.length !== 1) {
    throw new SMPPStatusError(CommandStatus.ESME_RINVTLVVAL, 'sar_msg_ref_num, sar_total_segments and sar_segment_seqnum go together');
  }
  const info = { reference: ((reference[0] ?? 0) << 8) | (reference[1] ?? 0), total: total[0] ?? 0, sequence: sequence[0] ?? 0, referenceBits: 16 as const };
  if (info.total < 1 || info.sequence < 1 || info.sequence > info.total) throw new SMPPStatusError(CommandStatus.ESME_RINVTLVVAL, 'SAR segment numbers out of range');
  return info;
}

function timeOf(value: string, nowMs: number, status: number, field: string): number | undefined {
  if (value === '') return undefined;
  const ms = parseSMPPTime(value, nowMs);
  if (ms === undefined) throw new SMPPStatusError(status, `${field} is not an SMPP time (YYMMDDhhmmsstnnp)`);
  return ms;
}

/** Validates a bound ESME's submit_sm and stores it ENROUTE; returns the message id for submit_sm_resp. */
export async function acceptSubmitSm(context: SubmitContext, systemId: string, fields: SubmitFields): Promise<{ messageId: string; destination: string }> {
  if ((fields.esmClass & ESM_CLASS_TYPE_MASK) !== 0) throw new SMPPStatusError(CommandStatus.ESME_RINVESMCLASS, 'a submit_sm carries a normal message (esm_class type 0)');
  if ((fields.registeredDelivery & 0x03) === 0x03) throw new SMPPStatusError(CommandStatus.ESME_RINVREGDLVFLG, 'registered_delivery bits 0-1 value 3 is reserved');
  if (!isSupportedDataCoding(fields.dataCoding)) {
    throw new SMPPStatusError(CommandStatus.ESME_RSUBMITFAIL, `data_coding 0x${fields.dataCoding.toString(16)} is not supported (0x00, 0x01, 0x03, 0x08 are)`);
  }
  const destination = normalizeMSISDN(fields.destinationAddr);
  if (destination === undefined) throw new SMPPStatusError(CommandStatus.ESME_RINVDSTADR, 'destination_addr must be an MSISDN (5-15 digits)');
  const owned = await addressesOf(context.db, systemId);
  const source = fields.sourceAddr === '' ? (owned[0] ?? systemId) : fields.sourceAddr;
  if (fields.sourceAddr !== '' && !owned.includes(fields.sourceAddr)) throw new SMPPStatusError(CommandStatus.ESME_RINVSRCADR, 'source_addr is not one of this ESME\'s addresses');

  const nowMs = context.now();
  const scheduled = timeOf(fields.scheduleDeliveryTime, nowMs, CommandStatus.ESME_RINVSCHED, 'schedule_delivery_time') ?? nowMs;
  const validUntil = timeOf(fields.validityPeriod, nowMs, CommandStatus.ESME_RINVEXPIRY, 'validity_period') ?? nowMs + SmscLimits.VALIDITY_MS_DEFAULT;
  const expiresMs = Math.min(validUntil, nowMs + SmscLimits.VALIDITY_MS_MAX);

  let body = fields.userData;
  let concat: ConcatInfo | undefined;
  try {
    if ((fields.esmClass & ESM_CLASS_UDHI) !== 0) {
      const decoded = decodeUserData(fields.userData);
      concat = findConcat(decoded.elements);
      body = decoded.body;
    }
    concat ??= sarConcat(fields);
    decodeContent(fields.dataCoding, body);
  } catch (error) {
    if (error instanceof SMPPStatusError) throw error;
    if (isTesseraError(error)) throw new SMPPStatusError(CommandStatus.ESME_RSUBMITFAIL, error.message);
    throw error;
  }
  const messageId = await storeMessage(context.db, context.random, {
    kind: 'message', originSystemId: systemId, sourceAddr: source, destinationKind: 'handset', destinationAddr: destination, destinationSystemId: null,
    dataCoding: fields.dataCoding, payload: body,
    ...(concat === undefined || concat.total === 1 ? {} : {
      concat: { key: `${systemId}|${source}|${destination}|${concat.referenceBits}:${concat.reference}|${concat.total}`, total: concat.total, sequence: concat.sequence },
    }),
    registeredDelivery: fields.registeredDelivery, notBeforeMs: scheduled, expiresMs,
  }, nowMs, `submit_sm from ${systemId}`);
  return { messageId, destination };
}

export interface TextMessage {
  /** Sender as the recipient sees it: an MSISDN, short code or sender id. */
  readonly from: string;
  readonly to: string;
  readonly text: string;
  /** The ESME on whose behalf it is sent (receipts would go there); none for handsets and in-process senders. */
  readonly originSystemId?: string;
  readonly validityMs?: number;
}

/**
 * Stores a text message: to an ESME when one owns `to` (a mobile-originated message to an
 * application), else to the handset with that MSISDN.
 */
export async function acceptText(context: SubmitContext, message: TextMessage): Promise<{ messageId: string; destinationKind: 'handset' | 'esme' }> {
  if (message.text.length > SmscLimits.HANDSET_TEXT_UNITS_MAX) throw smscError(SmscErrorCode.tooLong, `text is limited to ${SmscLimits.HANDSET_TEXT_UNITS_MAX} UTF-16 units`);
  segmentText(message.text, { reference: 0 });
  if (!/^[A-Za-z0-9+]{1,20}$/.test(message.from)) throw smscError(SmscErrorCode.invalid, 'a sender address is 1-20 letters or digits');
  const systemId = await esmeOwning(context.db, message.to);
  const msisdn = systemId === undefined ? normalizeMSISDN(message.to) : undefined;
  if (systemId === undefined && msisdn === undefined) throw smscError(SmscErrorCode.noRoute, 'no application owns that address and it is not an MSISDN');
  const nowMs = context.now();
  const { dataCoding, payload } = encodeStoredText(message.text);
  const messageId = await storeMessage(context.db, context.random, {
    kind: 'message', originSystemId: message.originSystemId ?? null, sourceAddr: message.from.replace(/^\+/, ''),
    destinationKind: systemId === undefined ? 'handset' : 'esme', destinationAddr: systemId === undefined ? (msisdn ?? message.to) : message.to,
    destinationSystemId: systemId ?? null, dataCoding, payload, registeredDelivery: 0, notBeforeMs: nowMs,
    expiresMs: nowMs + Math.min(message.validityMs ?? SmscLimits.VALIDITY_MS_DEFAULT, SmscLimits.VALIDITY_MS_MAX),
  }, nowMs, systemId === undefined ? 'text to handset' : `mobile-originated to ${systemId}`);
  return { messageId, destinationKind: systemId === undefined ? 'handset' : 'esme' };
}
