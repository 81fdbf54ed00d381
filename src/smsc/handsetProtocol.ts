import { smscError, SmscErrorCode } from './errors.js';
import { SmscLimits } from './limits.js';

/**
 * The handset protocol (docs/smsc.md): JSON objects, one per frame of src/infra/net (2-byte
 * big-endian length, then UTF-8). A phone attaches with its MSISDN and secret, acknowledges each
 * delivered message by id, and submits mobile-originated text.
 */
export type HandsetRequest =
  | { readonly type: 'attach'; readonly msisdn: string; readonly secret: string }
  | { readonly type: 'ack'; readonly id: string }
  | { readonly type: 'reject'; readonly id: string; readonly reason?: string }
  | { readonly type: 'submit'; readonly ref: string; readonly to: string; readonly text: string }
  | { readonly type: 'ping' }
  | { readonly type: 'detach' };

export type HandsetEvent =
  | { readonly type: 'attached'; readonly msisdn: string }
  | { readonly type: 'deliver'; readonly id: string; readonly from: string; readonly text: string; readonly parts: number; readonly submittedAt: string }
  | { readonly type: 'submitted'; readonly ref: string; readonly id: string }
  | { readonly type: 'error'; readonly code: string; readonly message: string; readonly ref?: string }
  | { readonly type: 'pong' }
  | { readonly type: 'detached' };

const FIELD_CHARS_MAX = 128;

function field(value: Record<string, unknown>, name: string, charsMax = FIELD_CHARS_MAX): string {
  const received = value[name];
  if (typeof received !== 'string' || received.length < 1 || received.length > charsMax) {
    throw smscError(SmscErrorCode.handsetProtocol, `"${name}" must be a string of 1-${charsMax} characters`);
  }
  return received;
}

function parseJSON(frame: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(frame));
  } catch {
    throw smscError(SmscErrorCode.handsetProtocol, 'a frame must hold one UTF-8 JSON object');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw smscError(SmscErrorCode.handsetProtocol, 'a frame must hold one JSON object');
  return value as Record<string, unknown>;
}

export function parseHandsetRequest(frame: Uint8Array): HandsetRequest {
  const value = parseJSON(frame);
  switch (value['type']) {
    case 'attach': return { type: 'attach', msisdn: field(value, 'msisdn', 16), secret: field(value, 'secret') };
    case 'ack': return { type: 'ack', id: field(value, 'id', 64) };
    case 'reject': {
      const reason = value['reason'];
      return { type: 'reject', id: field(value, 'id', 64), ...(typeof reason === 'string' ? { reason: reason.slice(0, FIELD_CHARS_MAX) } : {}) };
    }
    case 'submit': return { type: 'submit', ref: field(value, 'ref', 64), to: field(value, 'to', 21), text: field(value, 'text', SmscLimits.HANDSET_TEXT_UNITS_MAX) };
    case 'ping': return { type: 'ping' };
    case 'detach': return { type: 'detach' };
    default: throw smscError(SmscErrorCode.handsetProtocol, 'unknown frame type');
  }
}

export function parseHandsetEvent(frame: Uint8Array): HandsetEvent {
  const value = parseJSON(frame);
  switch (value['type']) {
    case 'attached': return { type: 'attached', msisdn: field(value, 'msisdn', 16) };
    case 'deliver': {
      const parts = value['parts'];
      const text = value['text'];
      if (typeof parts !== 'number' || !Number.isInteger(parts) || parts < 1 || typeof text !== 'string') throw smscError(SmscErrorCode.handsetProtocol, 'a deliver frame needs text and parts');
      return { type: 'deliver', id: field(value, 'id', 64), from: field(value, 'from', 21), text, parts, submittedAt: field(value, 'submittedAt', 64) };
    }
    case 'submitted': return { type: 'submitted', ref: field(value, 'ref', 64), id: field(value, 'id', 64) };
    case 'error': {
      const ref = value['ref'];
      return { type: 'error', code: field(value, 'code', 64), message: field(value, 'message', 500), ...(typeof ref === 'string' ? { ref } : {}) };
    }
    case 'pong': return { type: 'pong' };
    case 'detached': return { type: 'detached' };
    default: throw smscError(SmscErrorCode.handsetProtocol, 'unknown frame type');
  }
}

export function encodeHandsetFrame(message: HandsetRequest | HandsetEvent): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(message));
}
