import { ISO8583ErrorCode, iso8583Error } from './errors.js';
import { responseMTI } from './mti.js';
import type { ISO8583FieldValue, ISO8583Message } from './types.js';

/**
 * Network management (class 8) messages and responses. A 0800 request carries the transmission
 * date and time (7), a trace number (11) and a network management information code (70); the
 * 0810 answer echoes them with a response code (39).
 */

/** Field 70 values that networks agree on (ISO 8583:1987 field 70; the rest are network-specific). */
export const NetworkManagementCode = {
  signOn: '001',
  signOff: '002',
  echoTest: '301',
} as const;
export type NetworkManagementCode = (typeof NetworkManagementCode)[keyof typeof NetworkManagementCode];

/**
 * Data elements a response copies from its request, so the sender can match it (7, 11, 37,
 * 41 and 42 identify the exchange; 2, 3, 4, 49 restate what was asked; 90 and 95 a reversal's
 * original; 70 the network management code).
 */
export const ISO8583_ECHOED_FIELDS: readonly number[] = Object.freeze([2, 3, 4, 7, 11, 12, 13, 32, 33, 37, 41, 42, 49, 70, 90, 95]);

/** Field 7, transmission date and time: MMDDhhmmss in UTC (ISO 8583:1987 calls it GMT). */
export function formatTransmissionDateTime(at: Date): string {
  const two = (value: number): string => String(value).padStart(2, '0');
  return `${two(at.getUTCMonth() + 1)}${two(at.getUTCDate())}${two(at.getUTCHours())}${two(at.getUTCMinutes())}${two(at.getUTCSeconds())}`;
}

export interface NetworkManagementRequest {
  /** Field 70: a NetworkManagementCode or a network-specific 3-digit code. */
  readonly code: string;
  /** Systems trace audit number, 6 digits. */
  readonly stan: string;
  /** The clock is the caller's, so tests can pin it. */
  readonly transmittedAt: Date;
}

/** A 0800 network management request (sign-on, sign-off, echo test). Values are checked when encoded. */
export function buildNetworkManagementRequest(request: NetworkManagementRequest): ISO8583Message {
  return {
    mti: '0800',
    fields: new Map<number, ISO8583FieldValue>([
      [7, formatTransmissionDateTime(request.transmittedAt)],
      [11, request.stan],
      [70, request.code],
    ]),
  };
}

/** A 0800 echo test: the link keep-alive networks send when a line is idle. */
export function buildEchoRequest(stan: string, transmittedAt: Date): ISO8583Message {
  return buildNetworkManagementRequest({ code: NetworkManagementCode.echoTest, stan, transmittedAt });
}

export interface ResponseOptions {
  /** Field 39. */
  readonly responseCode: string;
  /** Further fields to set or replace (38 authorization code, 55 issuer data, …); `undefined` removes an echoed one. */
  readonly fields?: ReadonlyMap<number, ISO8583FieldValue | undefined>;
}

/**
 * The response to a request, advice or notification: MTI function plus one (0100 → 0110,
 * 0800 → 0810), the request's ISO8583_ECHOED_FIELDS that it carries, field 39, then `fields`.
 */
export function buildResponse(request: ISO8583Message, options: ResponseOptions): ISO8583Message {
  const mti = responseMTI(request.mti);
  if (typeof options.responseCode !== 'string') {
    throw iso8583Error(ISO8583ErrorCode.fieldInvalid, 'field 39 (Response code): expected text', { field: 39 });
  }
  const fields = new Map<number, ISO8583FieldValue>();
  for (const field of ISO8583_ECHOED_FIELDS) {
    const value = request.fields.get(field);
    if (value !== undefined) fields.set(field, value instanceof Uint8Array ? new Uint8Array(value) : value);
  }
  fields.set(39, options.responseCode);
  for (const [field, value] of options.fields ?? []) {
    if (value === undefined) fields.delete(field);
    else fields.set(field, value);
  }
  return { mti, fields };
}
