import type { ISO8583FieldSpec, ISO8583FieldTable } from './types.js';

/**
 * The data elements of ISO 8583:1987 §4.4 that Tessera's acquirer, gateway and issuer exchange,
 * with the formats and lengths the standard gives them. Fields not listed are undefined in the
 * built-in dialects: a received bitmap naming one is refused rather than guessed at.
 *
 * Deviations from the letter of the standard, each for a reason:
 * - 49-51 (currency codes, "a or n 3") are `n 3`: ISO 4217 numeric codes, as networks send them.
 * - 52 and 64/128 (b 64) are 8 bytes; ISO 8583 counts binary lengths in bits.
 * - 55 (ICC system related data, "LLLVAR b ..255" in the 1993 edition and in network
 *   specifications that carry EMV data in 1987 messages) must hold well-formed BER-TLV.
 */
function fixed(name: string, format: ISO8583FieldSpec['format'], length: number): ISO8583FieldSpec {
  return Object.freeze({ name, format, lengthType: 'fixed', length });
}

function llvar(name: string, format: ISO8583FieldSpec['format'], length: number): ISO8583FieldSpec {
  return Object.freeze({ name, format, lengthType: 'LLVAR', length });
}

function lllvar(name: string, format: ISO8583FieldSpec['format'], length: number): ISO8583FieldSpec {
  return Object.freeze({ name, format, lengthType: 'LLLVAR', length });
}

export const ISO8583_1987_FIELDS: ISO8583FieldTable = Object.freeze({
  2: llvar('Primary account number (PAN)', 'n', 19),
  3: fixed('Processing code', 'n', 6),
  4: fixed('Amount, transaction', 'n', 12),
  5: fixed('Amount, settlement', 'n', 12),
  6: fixed('Amount, cardholder billing', 'n', 12),
  7: fixed('Transmission date and time (MMDDhhmmss, UTC)', 'n', 10),
  11: fixed('Systems trace audit number (STAN)', 'n', 6),
  12: fixed('Time, local transaction (hhmmss)', 'n', 6),
  13: fixed('Date, local transaction (MMDD)', 'n', 4),
  14: fixed('Date, expiration (YYMM)', 'n', 4),
  15: fixed('Date, settlement (MMDD)', 'n', 4),
  18: fixed('Merchant type (MCC)', 'n', 4),
  19: fixed('Acquiring institution country code', 'n', 3),
  22: fixed('Point of service entry mode', 'n', 3),
  23: fixed('Card sequence number', 'n', 3),
  24: fixed('Network international identifier', 'n', 3),
  25: fixed('Point of service condition code', 'n', 2),
  26: fixed('Point of service PIN capture code', 'n', 2),
  32: llvar('Acquiring institution identification code', 'n', 11),
  33: llvar('Forwarding institution identification code', 'n', 11),
  35: Object.freeze({ ...llvar('Track 2 data', 'z', 37), content: 'track2' }),
  37: fixed('Retrieval reference number', 'an', 12),
  38: fixed('Authorization identification response', 'an', 6),
  39: fixed('Response code', 'an', 2),
  41: fixed('Card acceptor terminal identification', 'ans', 8),
  42: fixed('Card acceptor identification code', 'ans', 15),
  43: fixed('Card acceptor name/location', 'ans', 40),
  44: llvar('Additional response data', 'ans', 25),
  45: llvar('Track 1 data', 'ans', 76),
  48: lllvar('Additional data, private', 'ans', 999),
  49: fixed('Currency code, transaction', 'n', 3),
  50: fixed('Currency code, settlement', 'n', 3),
  51: fixed('Currency code, cardholder billing', 'n', 3),
  52: fixed('Personal identification number (PIN) data', 'b', 8),
  53: fixed('Security related control information', 'n', 16),
  54: lllvar('Additional amounts', 'an', 120),
  55: Object.freeze({ ...lllvar('ICC system related data', 'b', 255), content: 'tlv' }),
  60: lllvar('Reserved national', 'ans', 999),
  61: lllvar('Reserved private', 'ans', 999),
  62: lllvar('Reserved private', 'ans', 999),
  63: lllvar('Reserved private', 'ans', 999),
  64: fixed('Message authentication code (MAC)', 'b', 8),
  70: fixed('Network management information code', 'n', 3),
  90: fixed('Original data elements', 'n', 42),
  95: fixed('Replacement amounts', 'an', 42),
  102: llvar('Account identification 1', 'ans', 28),
  103: llvar('Account identification 2', 'ans', 28),
  128: fixed('Message authentication code (MAC)', 'b', 8),
} satisfies Record<number, ISO8583FieldSpec>);
