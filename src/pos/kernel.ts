import { concatBytes, fromHex, toHex } from '../lib/bytes.js';
import { TesseraError } from '../lib/errors.js';
import { buildDOLData, decodeDOL, decodeTLV, encodeTLV, findTag, primitiveNode, type DOLValue, type TLVNode } from '../lib/tlv/index.js';
import { PosErrorCode } from './errors.js';

/**
 * The reader's contactless kernel (EMV Contactless Book A/B style, online-only): SELECT PPSE, pick
 * the application of highest priority, SELECT it, GET PROCESSING OPTIONS with the PDOL data, READ
 * RECORD for every record the AFL names, then GENERATE AC asking for an ARQC over CDOL1 data. It
 * collects what the acquirer needs for an 0200 (field 55 and the card data). The field itself is
 * modelled by `ContactlessLink`: one command APDU in, one response APDU out.
 */

export interface ContactlessLink {
  transmit(commandAPDU: Uint8Array): Promise<Uint8Array>;
}

export interface TerminalTransaction {
  readonly amountMinor: bigint;
  /** ISO 4217 numeric, e.g. 156 for CNY. */
  readonly currencyNumeric: number;
  /** ISO 3166-1 numeric country of the terminal. */
  readonly countryNumeric: number;
  readonly at: Date;
  /** 4 random bytes from the terminal (9F37). */
  readonly unpredictableNumber: Uint8Array;
  /** '00' goods and services (9C). */
  readonly transactionType?: number;
}

export type KernelOutcome =
  | { readonly kind: 'online-request'; readonly card: CardData; readonly iccData: Uint8Array }
  | { readonly kind: 'see-phone' }
  | { readonly kind: 'declined-offline'; readonly reason: string }
  | { readonly kind: 'end-application'; readonly reason: string };

export interface CardData {
  readonly aid: string;
  readonly label: string;
  readonly pan: string;
  /** YYMMDD. */
  readonly expiry: string;
  /** Two digits. */
  readonly panSequenceNumber: string;
  /** Track 2 equivalent data as hex nibbles ('D' separator). */
  readonly track2: string;
  readonly atc: string;
  readonly cryptogram: string;
  readonly cryptogramInformationData: string;
}

export const PPSE_NAME = fromHex('325041592E5359532E4444463031');
/** Tags the kernel puts in field 55 (EMV Book 4 / network specifications' minimum ICC data). */
export const FIELD_55_TAGS = [0x9f26, 0x9f27, 0x9f10, 0x9f37, 0x9f36, 0x95, 0x9a, 0x9c, 0x9f02, 0x5f2a, 0x82, 0x9f1a, 0x9f03, 0x5f34, 0x84] as const;
/** Records one AFL may ask the kernel to read at most. */
export const RECORDS_READ_MAX = 16;

function bcd(digits: string): Uint8Array {
  return fromHex(digits.length % 2 === 0 ? digits : `0${digits}`);
}

function swOf(response: Uint8Array): number {
  return ((response[response.length - 2] ?? 0) << 8) | (response[response.length - 1] ?? 0);
}

function dataOf(response: Uint8Array): Uint8Array {
  return response.subarray(0, Math.max(0, response.length - 2));
}

function apdu(cla: number, ins: number, p1: number, p2: number, data?: Uint8Array): Uint8Array {
  if (data === undefined) return Uint8Array.of(cla, ins, p1, p2, 0x00);
  return concatBytes(Uint8Array.of(cla, ins, p1, p2, data.length), data, Uint8Array.of(0x00));
}

function cardError(message: string): TesseraError {
  return new TesseraError(PosErrorCode.card, message);
}

function primitive(nodes: readonly TLVNode[], tag: number): Uint8Array | undefined {
  const node = findTag(nodes, tag);
  return node === undefined || node.constructed ? undefined : node.value;
}

function requirePrimitive(nodes: readonly TLVNode[], tag: number, what: string): Uint8Array {
  const value = primitive(nodes, tag);
  if (value === undefined) throw cardError(`the card's answer has no ${what} (${tag.toString(16).toUpperCase()})`);
  return value;
}

/** The terminal's data objects, by tag, for PDOL and CDOL1. */
function terminalData(transaction: TerminalTransaction): Map<number, DOLValue> {
  const date = transaction.at;
  const two = (value: number): string => String(value).padStart(2, '0');
  return new Map<number, DOLValue>([
    [0x9f02, { value: bcd(transaction.amountMinor.toString().padStart(12, '0')), format: 'n' }],
    [0x9f03, { value: new Uint8Array(6), format: 'n' }],
    [0x9f1a, { value: bcd(String(transaction.countryNumeric).padStart(4, '0')), format: 'n' }],
    [0x95, { value: new Uint8Array(5), format: 'b' }],
    [0x5f2a, { value: bcd(String(transaction.currencyNumeric).padStart(4, '0')), format: 'n' }],
    [0x9a, { value: fromHex(`${two(date.getUTCFullYear() % 100)}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}`), format: 'n' }],
    [0x9c, { value: Uint8Array.of(transaction.transactionType ?? 0x00), format: 'n' }],
    [0x9f37, { value: transaction.unpredictableNumber, format: 'b' }],
    // Terminal transaction qualifiers: EMV mode, online capable, CDCVM supported.
    [0x9f66, { value: fromHex('36004000'), format: 'b' }],
    [0x9f35, { value: Uint8Array.of(0x22), format: 'n' }],
  ]);
}

function chooseApplication(ppse: Uint8Array): { aid: Uint8Array; label: string } {
  const nodes = decodeTLV(ppse);
  const directory = findTag(nodes, 0xbf0c);
  if (directory === undefined || !directory.constructed) throw cardError('the PPSE lists no applications');
  const entries = directory.children.filter((child) => child.tag === 0x61 && child.constructed);
  let best: { aid: Uint8Array; label: string; priority: number } | undefined;
  for (const entry of entries) {
    if (!entry.constructed) continue;
    const aid = primitive(entry.children, 0x4f);
    if (aid === undefined) continue;
    const priority = (primitive(entry.children, 0x87)?.[0] ?? 0x0f) & 0x0f;
    const label = new TextDecoder().decode(primitive(entry.children, 0x50) ?? new Uint8Array(0));
    if (best === undefined || priority < best.priority) best = { aid, label, priority };
  }
  if (best === undefined) throw cardError('the PPSE lists no application with an AID');
  return best;
}

/** The records the AFL names: (SFI, record) pairs, bounded. */
function recordsOf(afl: Uint8Array): { sfi: number; record: number }[] {
  if (afl.length === 0 || afl.length % 4 !== 0) throw cardError('the AFL is not a multiple of 4 bytes');
  const records: { sfi: number; record: number }[] = [];
  for (let offset = 0; offset < afl.length; offset += 4) {
    const sfi = (afl[offset] ?? 0) >> 3;
    const first = afl[offset + 1] ?? 0;
    const last = afl[offset + 2] ?? 0;
    if (sfi < 1 || sfi > 30 || first < 1 || last < first) throw cardError('the AFL names no valid records');
    for (let record = first; record <= last; record++) {
      records.push({ sfi, record });
      if (records.length > RECORDS_READ_MAX) throw cardError(`the AFL names more than ${RECORDS_READ_MAX} records`);
    }
  }
  return records;
}

function digitsOf(value: Uint8Array): string {
  return toHex(value).replace(/F+$/, '');
}

/** Runs one transaction to the point where it must go online (or stops with the card's outcome). */
export async function runContactlessKernel(link: ContactlessLink, transaction: TerminalTransaction): Promise<KernelOutcome> {
  const data = terminalData(transaction);
  const ppse = await link.transmit(apdu(0x00, 0xa4, 0x04, 0x00, PPSE_NAME));
  if (swOf(ppse) !== 0x9000) return { kind: 'end-application', reason: `SELECT PPSE answered ${swOf(ppse).toString(16).toUpperCase()}` };
  const chosen = chooseApplication(dataOf(ppse));
  const selected = await link.transmit(apdu(0x00, 0xa4, 0x04, 0x00, chosen.aid));
  if (swOf(selected) !== 0x9000) return { kind: 'end-application', reason: `SELECT AID answered ${swOf(selected).toString(16).toUpperCase()}` };
  const fci = decodeTLV(dataOf(selected));
  const pdol = primitive(fci, 0x9f38);
  const pdolData = pdol === undefined ? new Uint8Array(0) : buildDOLData(decodeDOL(pdol), (tag) => data.get(tag));
  const gpo = await link.transmit(apdu(0x80, 0xa8, 0x00, 0x00, encodeTLV([primitiveNode(0x83, pdolData)])));
  if (swOf(gpo) === 0x6986) return { kind: 'see-phone' };
  if (swOf(gpo) !== 0x9000) return { kind: 'end-application', reason: `GET PROCESSING OPTIONS answered ${swOf(gpo).toString(16).toUpperCase()}` };
  const gpoNodes = decodeTLV(dataOf(gpo));
  const gpoTemplate = findTag(gpoNodes, 0x77);
  if (gpoTemplate === undefined || !gpoTemplate.constructed) throw cardError('GPO did not answer a format 2 template (77)');
  const aip = requirePrimitive(gpoTemplate.children, 0x82, 'AIP');
  const afl = requirePrimitive(gpoTemplate.children, 0x94, 'AFL');

  const cardObjects = new Map<number, Uint8Array>();
  for (const { sfi, record } of recordsOf(afl)) {
    const answer = await link.transmit(Uint8Array.of(0x00, 0xb2, record, (sfi << 3) | 0x04, 0x00));
    if (swOf(answer) !== 0x9000) return { kind: 'end-application', reason: `READ RECORD ${sfi}/${record} answered ${swOf(answer).toString(16).toUpperCase()}` };
    const template = findTag(decodeTLV(dataOf(answer)), 0x70);
    if (template === undefined || !template.constructed) throw cardError('a record is not a 70 template');
    for (const child of template.children) if (!child.constructed) cardObjects.set(child.tag, child.value);
  }
  const cdol1 = cardObjects.get(0x8c);
  if (cdol1 === undefined) throw cardError('the card gave no CDOL1');
  const cdol1Data = buildDOLData(decodeDOL(cdol1), (tag) => data.get(tag));
  const generated = await link.transmit(apdu(0x80, 0xae, 0x80, 0x00, cdol1Data));
  if (swOf(generated) === 0x6986) return { kind: 'see-phone' };
  if (swOf(generated) !== 0x9000) return { kind: 'end-application', reason: `GENERATE AC answered ${swOf(generated).toString(16).toUpperCase()}` };
  const acTemplate = findTag(decodeTLV(dataOf(generated)), 0x77);
  if (acTemplate === undefined || !acTemplate.constructed) throw cardError('GENERATE AC did not answer a 77 template');
  const cid = requirePrimitive(acTemplate.children, 0x9f27, 'cryptogram information data');
  const atc = requirePrimitive(acTemplate.children, 0x9f36, 'ATC');
  const cryptogram = requirePrimitive(acTemplate.children, 0x9f26, 'application cryptogram');
  const issuerApplicationData = requirePrimitive(acTemplate.children, 0x9f10, 'issuer application data');
  if (((cid[0] ?? 0) & 0xc0) === 0x00) return { kind: 'declined-offline', reason: 'the card answered an AAC' };

  const pan = cardObjects.get(0x5a);
  const expiry = cardObjects.get(0x5f24);
  const track2 = cardObjects.get(0x57);
  if (pan === undefined || expiry === undefined || track2 === undefined) throw cardError('the records lack the PAN, expiry or track 2');
  const panSequenceNumber = cardObjects.get(0x5f34) ?? Uint8Array.of(0x00);
  const iccValues = new Map<number, Uint8Array>([
    [0x9f26, cryptogram], [0x9f27, cid], [0x9f10, issuerApplicationData], [0x9f36, atc], [0x82, aip],
    [0x5f34, panSequenceNumber], [0x84, chosen.aid],
  ]);
  for (const [tag, value] of data) if (!iccValues.has(tag)) iccValues.set(tag, value.value);
  const iccData = encodeTLV(FIELD_55_TAGS.flatMap((tag) => {
    const value = iccValues.get(tag);
    return value === undefined ? [] : [primitiveNode(tag, value)];
  }));
  return {
    kind: 'online-request',
    iccData,
    card: {
      aid: toHex(chosen.aid),
      label: chosen.label,
      pan: digitsOf(pan),
      expiry: toHex(expiry),
      panSequenceNumber: toHex(panSequenceNumber),
      track2: toHex(track2).replace(/F$/, ''),
      atc: toHex(atc),
      cryptogram: toHex(cryptogram),
      cryptogramInformationData: toHex(cid),
    },
  };
}
