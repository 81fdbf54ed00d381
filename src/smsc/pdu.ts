import { TesseraError } from '../lib/errors.js';
import { SmscErrorCode } from './errors.js';

/**
 * Strict readers for the SMPP 3.4 PDUs the SMSC acts on. The `smpp` package encodes our PDUs and
 * names the commands; its decoder is lenient (it reads past a missing NUL, decodes short_message
 * to text with a lossy table, and reads relative times against the wall clock), so the bodies we
 * act on are read here, with every length checked (SMPP 3.4 §3.1, §4, §5.3).
 */

export const SMPP_HEADER_BYTES = 16;

/** SMPP 3.4 §5.1.2 command ids. */
export const CommandId = {
  genericNack: 0x80000000,
  bindReceiver: 0x00000001,
  bindTransmitter: 0x00000002,
  querySm: 0x00000003,
  submitSm: 0x00000004,
  deliverSm: 0x00000005,
  unbind: 0x00000006,
  bindTransceiver: 0x00000009,
  enquireLink: 0x00000015,
} as const;
export const RESPONSE_BIT = 0x80000000;

/** SMPP 3.4 §5.1.3 command_status values used here. */
export const CommandStatus = {
  ESME_ROK: 0x00,
  ESME_RINVMSGLEN: 0x01,
  ESME_RINVCMDLEN: 0x02,
  ESME_RINVCMDID: 0x03,
  ESME_RINVBNDSTS: 0x04,
  ESME_RALYBND: 0x05,
  ESME_RINVREGDLVFLG: 0x07,
  ESME_RSYSERR: 0x08,
  ESME_RINVSRCADR: 0x0a,
  ESME_RINVDSTADR: 0x0b,
  ESME_RINVMSGID: 0x0c,
  ESME_RBINDFAIL: 0x0d,
  ESME_RINVPASWD: 0x0e,
  ESME_RINVSYSID: 0x0f,
  ESME_RINVESMCLASS: 0x43,
  ESME_RSUBMITFAIL: 0x45,
  ESME_RINVSCHED: 0x61,
  ESME_RINVEXPIRY: 0x62,
  ESME_RQUERYFAIL: 0x67,
  ESME_RINVTLVSTREAM: 0xc0,
  ESME_RINVTLVLEN: 0xc2,
  ESME_RINVTLVVAL: 0xc4,
} as const;

/** An SMPP request we refuse, with the command_status to answer. */
export class SMPPStatusError extends TesseraError {
  constructor(readonly commandStatus: number, message: string) {
    super(SmscErrorCode.smpp, message, { details: { commandStatus } });
  }
}

export interface PDUHeader {
  readonly commandLength: number;
  readonly commandId: number;
  readonly commandStatus: number;
  readonly sequenceNumber: number;
}

export function readHeader(pdu: Uint8Array): PDUHeader {
  const view = new DataView(pdu.buffer, pdu.byteOffset, pdu.byteLength);
  if (pdu.length < SMPP_HEADER_BYTES) throw new SMPPStatusError(CommandStatus.ESME_RINVCMDLEN, 'a PDU is at least 16 octets');
  return { commandLength: view.getUint32(0), commandId: view.getUint32(4), commandStatus: view.getUint32(8), sequenceNumber: view.getUint32(12) };
}

/** SMPP 3.4 §5.3: optional parameters, tag → value. A TLV running past the PDU is refused. */
export type TLVs = ReadonlyMap<number, Uint8Array>;

class BodyReader {
  private offset = SMPP_HEADER_BYTES;
  constructor(private readonly pdu: Uint8Array) {}

  /** A C-Octet String of at most `octetsMax` octets including its NUL (§3.1). */
  cstring(octetsMax: number, field: string, status: number = CommandStatus.ESME_RINVCMDLEN): string {
    const end = this.pdu.indexOf(0, this.offset);
    if (end < 0) throw new SMPPStatusError(CommandStatus.ESME_RINVCMDLEN, `${field} has no terminating NUL`);
    if (end - this.offset + 1 > octetsMax) throw new SMPPStatusError(status, `${field} is longer than ${octetsMax - 1} octets`);
    const bytes = this.pdu.subarray(this.offset, end);
    for (const byte of bytes) if (byte < 0x20 || byte > 0x7e) throw new SMPPStatusError(status, `${field} is not printable ASCII`);
    this.offset = end + 1;
    return Buffer.from(bytes).toString('latin1');
  }

  int8(field: string): number {
    const value = this.pdu[this.offset];
    if (value === undefined) throw new SMPPStatusError(CommandStatus.ESME_RINVCMDLEN, `the PDU ends before ${field}`);
    this.offset++;
    return value;
  }

  octets(length: number, field: string): Uint8Array {
    if (this.offset + length > this.pdu.length) throw new SMPPStatusError(CommandStatus.ESME_RINVCMDLEN, `the PDU ends inside ${field}`);
    const value = this.pdu.slice(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  tlvs(): TLVs {
    const found = new Map<number, Uint8Array>();
    while (this.offset < this.pdu.length) {
      if (this.offset + 4 > this.pdu.length) throw new SMPPStatusError(CommandStatus.ESME_RINVTLVSTREAM, 'a truncated optional parameter');
      const tag = ((this.pdu[this.offset] ?? 0) << 8) | (this.pdu[this.offset + 1] ?? 0);
      const length = ((this.pdu[this.offset + 2] ?? 0) << 8) | (this.pdu[this.offset + 3] ?? 0);
      this.offset += 4;
      if (this.offset + length > this.pdu.length) throw new SMPPStatusError(CommandStatus.ESME_RINVTLVLEN, `optional parameter 0x${tag.toString(16)} runs past the PDU`);
      found.set(tag, this.pdu.slice(this.offset, this.offset + length));
      this.offset += length;
    }
    return found;
  }

  end(): void {
    if (this.offset !== this.pdu.length) throw new SMPPStatusError(CommandStatus.ESME_RINVCMDLEN, 'octets after the last parameter');
  }
}

export interface BindFields {
  readonly systemId: string;
  readonly password: string;
  readonly systemType: string;
  readonly interfaceVersion: number;
}

/** bind_transmitter / bind_receiver / bind_transceiver body (SMPP 3.4 §4.1.1). */
export function readBind(pdu: Uint8Array): BindFields {
  const reader = new BodyReader(pdu);
  const systemId = reader.cstring(16, 'system_id', CommandStatus.ESME_RINVSYSID);
  const password = reader.cstring(9, 'password', CommandStatus.ESME_RINVPASWD);
  const systemType = reader.cstring(13, 'system_type');
  const interfaceVersion = reader.int8('interface_version');
  reader.int8('addr_ton');
  reader.int8('addr_npi');
  reader.cstring(41, 'address_range');
  reader.end();
  return { systemId, password, systemType, interfaceVersion };
}

export interface SubmitFields {
  readonly serviceType: string;
  readonly sourceAddr: string;
  readonly destinationAddr: string;
  readonly esmClass: number;
  readonly scheduleDeliveryTime: string;
  readonly validityPeriod: string;
  readonly registeredDelivery: number;
  readonly dataCoding: number;
  /** short_message, or the message_payload TLV when short_message is empty (§5.3.2.32). */
  readonly userData: Uint8Array;
  readonly tlvs: TLVs;
}

export const TLV_MESSAGE_PAYLOAD = 0x0424;
export const TLV_SAR_MSG_REF_NUM = 0x020c;
export const TLV_SAR_TOTAL_SEGMENTS = 0x020e;
export const TLV_SAR_SEGMENT_SEQNUM = 0x020f;
export const TLV_RECEIPTED_MESSAGE_ID = 0x001e;
export const TLV_MESSAGE_STATE = 0x0427;
/** §4.4.1: sm_length 0-254. */
export const SHORT_MESSAGE_BYTES_MAX = 254;

/** submit_sm body (SMPP 3.4 §4.4.1). */
export function readSubmitSm(pdu: Uint8Array, messagePayloadBytesMax: number): SubmitFields {
  const reader = new BodyReader(pdu);
  const serviceType = reader.cstring(6, 'service_type');
  reader.int8('source_addr_ton');
  reader.int8('source_addr_npi');
  const sourceAddr = reader.cstring(21, 'source_addr', CommandStatus.ESME_RINVSRCADR);
  reader.int8('dest_addr_ton');
  reader.int8('dest_addr_npi');
  const destinationAddr = reader.cstring(21, 'destination_addr', CommandStatus.ESME_RINVDSTADR);
  const esmClass = reader.int8('esm_class');
  reader.int8('protocol_id');
  reader.int8('priority_flag');
  const scheduleDeliveryTime = reader.cstring(17, 'schedule_delivery_time', CommandStatus.ESME_RINVSCHED);
  const validityPeriod = reader.cstring(17, 'validity_period', CommandStatus.ESME_RINVEXPIRY);
  const registeredDelivery = reader.int8('registered_delivery');
  reader.int8('replace_if_present_flag');
  const dataCoding = reader.int8('data_coding');
  reader.int8('sm_default_msg_id');
  const smLength = reader.int8('sm_length');
  if (smLength > SHORT_MESSAGE_BYTES_MAX) throw new SMPPStatusError(CommandStatus.ESME_RINVMSGLEN, `sm_length ${smLength} is over ${SHORT_MESSAGE_BYTES_MAX}`);
  const shortMessage = reader.octets(smLength, 'short_message');
  const tlvs = reader.tlvs();
  const payload = tlvs.get(TLV_MESSAGE_PAYLOAD);
  if (payload !== undefined && smLength > 0) throw new SMPPStatusError(CommandStatus.ESME_RINVMSGLEN, 'short_message and message_payload are both present');
  if (payload !== undefined && payload.length > messagePayloadBytesMax) {
    throw new SMPPStatusError(CommandStatus.ESME_RINVMSGLEN, `message_payload is over ${messagePayloadBytesMax} octets`);
  }
  return {
    serviceType, sourceAddr, destinationAddr, esmClass, scheduleDeliveryTime, validityPeriod, registeredDelivery, dataCoding,
    userData: payload ?? shortMessage, tlvs,
  };
}

/** query_sm body (SMPP 3.4 §4.8.1). */
export function readQuerySm(pdu: Uint8Array): { messageId: string; sourceAddr: string } {
  const reader = new BodyReader(pdu);
  const messageId = reader.cstring(65, 'message_id', CommandStatus.ESME_RINVMSGID);
  reader.int8('source_addr_ton');
  reader.int8('source_addr_npi');
  const sourceAddr = reader.cstring(21, 'source_addr', CommandStatus.ESME_RINVSRCADR);
  reader.end();
  return { messageId, sourceAddr };
}
