import { concatBytes, toHex } from '../../lib/bytes.js';
import { currencyByNumericCode } from '../../lib/currencies.js';
import { buildACData, computeARPC, deriveICCMasterKey, deriveSessionKey, RECOMMENDED_CDOL1, verifyARQC } from '../../lib/emv/index.js';
import { isTesseraError } from '../../lib/errors.js';
import { buildResponse, parseTrack2, type ISO8583Message } from '../../lib/iso8583/index.js';
import { decodeTLV, encodeTLV, primitiveNode, type TLVNode } from '../../lib/tlv/index.js';
import type { CardForCryptogram } from '../authorize.js';
import { parseCardholderAuthentication } from '../authorizeCardNotPresent.js';
import type { BankService } from '../service.js';

/**
 * The issuer's ISO 8583 host (docs/bank.md "Authorization over ISO 8583"): 0100 (preauthorization,
 * a hold) and 0200 (purchase, posted at once) with the chip data in field 55; 0400/0401 reversals.
 * It owns the wire: it reads the fields, verifies the ARQC inside the bank's transaction (through
 * the `cryptogramCheck` the bank calls with the card's issuer master key), and answers 0110/0210
 * with field 39, field 38 when approved, and field 55 tag 91 (ARPC method 1 ‖ ARC) so the card
 * could authenticate the issuer.
 *
 * Cryptogram: ICC MK-AC by EMV option A from the BIN's IMK, PAN and PSN; the EMV common session
 * key on the ATC; MAC over CDOL1 data ‖ AIP ‖ ATC ‖ IAD (CVN 18 layout, the Tessera payment
 * application's; CDOL1 = EMV Book 2 Table 26). Field 4 and 49 must equal 9F02 and 5F2A, which the
 * cryptogram covers: an amount changed in flight is a cryptogram failure.
 */

function text(message: ISO8583Message, field: number): string | undefined {
  const value = message.fields.get(field);
  return typeof value === 'string' ? value : undefined;
}

/** Field 7 (MMDDhhmmss, UTC) as a date: the year is the one that puts it nearest to `now`. */
export function parseTransmissionDateTime(field7: string, now: Date): Date | undefined {
  if (!/^[0-9]{10}$/.test(field7)) return undefined;
  const [month, day, hour, minute, second] = [0, 2, 4, 6, 8].map((offset) => Number(field7.slice(offset, offset + 2)));
  let best: Date | undefined;
  for (const year of [now.getUTCFullYear() - 1, now.getUTCFullYear(), now.getUTCFullYear() + 1]) {
    const candidate = new Date(Date.UTC(year, (month ?? 1) - 1, day, hour, minute, second));
    if (candidate.getUTCMonth() !== (month ?? 1) - 1 || candidate.getUTCDate() !== day) continue;
    if (best === undefined || Math.abs(candidate.getTime() - now.getTime()) < Math.abs(best.getTime() - now.getTime())) best = candidate;
  }
  return best;
}

interface ChipData {
  readonly values: Map<number, Uint8Array>;
  readonly atc: number;
}

function readChipData(field55: Uint8Array): ChipData | undefined {
  let nodes: TLVNode[];
  try {
    nodes = decodeTLV(field55, { padding: 'reject', lengths: 'minimal', depthMax: 2 });
  } catch {
    return undefined;
  }
  const values = new Map<number, Uint8Array>();
  for (const node of nodes) {
    if (node.constructed || values.has(node.tag)) return undefined;
    values.set(node.tag, node.value);
  }
  const atc = values.get(0x9f36);
  for (const tag of [0x9f26, 0x9f27, 0x9f10, 0x82]) if (!values.has(tag)) return undefined;
  if (atc?.length !== 2) return undefined;
  return { values, atc: ((atc[0] ?? 0) << 8) | (atc[1] ?? 0) };
}

function bcdText(value: Uint8Array | undefined): string {
  return value === undefined ? '' : toHex(value);
}

/** Issuer authentication data, tag 91: ARPC (method 1, with the ARQC's session key) ‖ ARC. */
function issuerAuthentication(sessionKey: Uint8Array, arqc: Uint8Array, approved: boolean): Uint8Array {
  const arc = new TextEncoder().encode(approved ? '00' : '05');
  return concatBytes(computeARPC({ method: 1, key: sessionKey, arqc, arc }), arc);
}

export interface IssuerHostOptions {
  readonly now: () => Date;
}

/** The request handler for `startISO8583Server`. */
export function createIssuerHandler(bank: BankService, options: IssuerHostOptions): (request: ISO8583Message) => Promise<ISO8583Message> {
  return async (request) => {
    if (request.mti === '0400' || request.mti === '0401') return reverse(bank, request, options);
    if (request.mti !== '0100' && request.mti !== '0200') return buildResponse(request, { responseCode: '12' });
    if (isCardNotPresent(request)) return cardNotPresent(bank, request, options);
    const now = options.now();
    const transmittedAt = parseTransmissionDateTime(text(request, 7) ?? '', now);
    const field55 = request.fields.get(55);
    const chip = field55 instanceof Uint8Array ? readChipData(field55) : undefined;
    const currency = currencyByNumericCode(Number(text(request, 49) ?? 'x'));
    const track2 = text(request, 35);
    let pan = text(request, 2);
    let expiry = text(request, 14);
    if (track2 !== undefined) {
      try {
        const parsed = parseTrack2(track2);
        pan ??= parsed.pan;
        expiry ??= parsed.expiry;
        if (parsed.pan !== pan) return buildResponse(request, { responseCode: '30' });
      } catch {
        return buildResponse(request, { responseCode: '30' });
      }
    }
    const amount = text(request, 4);
    if (transmittedAt === undefined || chip === undefined || currency === undefined || pan === undefined || expiry === undefined || amount === undefined) {
      return buildResponse(request, { responseCode: '30' });
    }
    const amountMatches = bcdText(chip.values.get(0x9f02)) === amount && bcdText(chip.values.get(0x5f2a)) === (text(request, 49) ?? '').padStart(4, '0');
    // The bank wipes the issuer master key once its transaction ends; the session key of a verified
    // cryptogram is kept here for the ARPC and wiped after it.
    let verifiedSessionKey: Uint8Array | undefined;
    const cryptogramCheck = (card: CardForCryptogram): 'ok' | 'mismatch' => {
      verifiedSessionKey = undefined;
      if (!amountMatches) return 'mismatch';
      try {
        const iccMasterKey = deriveICCMasterKey({ issuerMasterKey: card.issuerMasterKey, pan: card.pan, panSequenceNumber: String(card.psn).padStart(2, '0') });
        const sessionKey = deriveSessionKey({ iccMasterKey, atc: Uint8Array.of(card.atc >> 8, card.atc & 0xff), method: 'emv-csk' });
        iccMasterKey.fill(0);
        const data = buildACData({ cdol: RECOMMENDED_CDOL1, values: chip.values, cardTags: [0x82, 0x9f36, 0x9f10] });
        verifyARQC({ sessionKey, data, receivedARQC: chip.values.get(0x9f26) ?? new Uint8Array(0) });
        verifiedSessionKey = sessionKey;
        return 'ok';
      } catch (error) {
        if (isTesseraError(error)) return 'mismatch';
        throw error;
      }
    };
    const result = await bank.authorize({
      kind: request.mti === '0100' ? 'preauth' : 'purchase',
      terminalId: text(request, 41) ?? '',
      stan: text(request, 11) ?? '',
      transmittedAt,
      pan,
      expiry,
      amountMinor: BigInt(amount),
      currency: currency.code,
      atc: chip.atc,
      merchantId: text(request, 42) ?? '',
      cryptogramCheck,
    });
    const fields = new Map<number, string | Uint8Array | undefined>();
    if (result.approved && result.authorizationCode !== undefined) fields.set(38, result.authorizationCode);
    const arqc = chip.values.get(0x9f26);
    if (verifiedSessionKey !== undefined && arqc !== undefined) {
      fields.set(55, encodeTLV([primitiveNode(0x91, issuerAuthentication(verifiedSessionKey, arqc, result.approved))]));
      verifiedSessionKey.fill(0);
    }
    return buildResponse(request, { responseCode: result.responseCode, fields });
  };
}

async function reverse(bank: BankService, request: ISO8583Message, options: IssuerHostOptions): Promise<ISO8583Message> {
  const original = text(request, 90) ?? '';
  const transmittedAt = parseTransmissionDateTime(original.slice(10, 20), options.now());
  const stan = original.slice(4, 10);
  if (!/^[0-9]{42}$/.test(original) || transmittedAt === undefined) return buildResponse(request, { responseCode: '30' });
  await bank.reverse({ terminalId: text(request, 41) ?? '', stan, transmittedAt });
  return buildResponse(request, { responseCode: '00' });
}

/**
 * Card not present (docs/bank.md "Card not present"): an 0200 without field 55, field 22 = '812'
 * (PAN entered by e-commerce, no PIN capability) and field 25 = '59' (e-commerce). Field 48 must
 * carry the out-of-band cardholder authentication indicator ("OOBS" ‖ reference); the bank then
 * decides without a cryptogram, only for terminals flagged card-not-present. Processing code
 * (field 3) 20xxxx with field 90 is a refund of an earlier purchase of the same terminal.
 */
export const CARD_NOT_PRESENT_ENTRY_MODE = '812';
export const ECOMMERCE_CONDITION_CODE = '59';

function isCardNotPresent(request: ISO8583Message): boolean {
  return request.mti === '0200' && request.fields.get(55) === undefined
    && text(request, 22) === CARD_NOT_PRESENT_ENTRY_MODE && text(request, 25) === ECOMMERCE_CONDITION_CODE;
}

async function cardNotPresent(bank: BankService, request: ISO8583Message, options: IssuerHostOptions): Promise<ISO8583Message> {
  const now = options.now();
  const transmittedAt = parseTransmissionDateTime(text(request, 7) ?? '', now);
  const currency = currencyByNumericCode(Number(text(request, 49) ?? 'x'));
  const amount = text(request, 4);
  const terminalId = text(request, 41) ?? '';
  const merchantId = text(request, 42) ?? '';
  const stan = text(request, 11) ?? '';
  if (transmittedAt === undefined || currency === undefined || amount === undefined) return buildResponse(request, { responseCode: '30' });
  if ((text(request, 3) ?? '').startsWith('20')) {
    const original = text(request, 90) ?? '';
    const originalAt = parseTransmissionDateTime(original.slice(10, 20), now);
    if (!/^[0-9]{42}$/.test(original) || originalAt === undefined) return buildResponse(request, { responseCode: '30' });
    const result = await bank.refund({
      terminalId, stan, transmittedAt, merchantId, amountMinor: BigInt(amount),
      original: { terminalId, stan: original.slice(4, 10), transmittedAt: originalAt },
    });
    return answer(request, result);
  }
  const authentication = parseCardholderAuthentication(text(request, 48));
  const pan = text(request, 2);
  const expiry = text(request, 14);
  if (authentication === undefined || pan === undefined || expiry === undefined) return buildResponse(request, { responseCode: '30' });
  const result = await bank.authorize({
    kind: 'purchase', terminalId, stan, transmittedAt, pan, expiry, amountMinor: BigInt(amount), currency: currency.code, merchantId,
    // No chip: no ATC and no cryptogram; authorizeCardNotPresent ignores both.
    atc: 0, cryptogramCheck: () => 'mismatch', cardNotPresent: authentication,
  });
  return answer(request, result);
}

function answer(request: ISO8583Message, result: { approved: boolean; responseCode: string; authorizationCode?: string }): ISO8583Message {
  const fields = new Map<number, string | Uint8Array | undefined>();
  if (result.approved && result.authorizationCode !== undefined) fields.set(38, result.authorizationCode);
  return buildResponse(request, { responseCode: result.responseCode, fields });
}
