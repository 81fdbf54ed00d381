import { concatBytes } from '../../lib/bytes.js';
import { StatusWord } from '../../lib/status-words.js';
import { constructedNode, decodeDOL, decodeTLV, encodeTLV, primitiveNode, type TLVNode } from '../../lib/tlv/index.js';
import type { Applet, AppletCommand, AppletContext, AppletResponse } from '../../card/types.js';
import {
  CRYPTO_SE_PAYMENT_CLA, CRYPTO_SE_PAYMENT_INS, CRYPTOGRAM_TYPE, CRYPTOGRAM_TYPE_MASK, DEFAULT_AFL, DEFAULT_AIP, DEFAULT_APPLICATION_LABEL,
  DEFAULT_CDOL1, EMV_INS, EMV_TAG, PAYMENT_PERSONALIZATION_TAG, RECORD_NUMBER, RECORD_SFI,
} from './constants.js';
import { installSetting, personalizePaymentApplication, settingKey } from './personalization.js';
import {
  decodeTerminalResponse, encodePerformCardAPDU, FETCH_INS, PROACTIVE_PENDING_SW1, RESULT_PERFORMED, TERMINAL_RESPONSE_INS,
} from './proactive.js';
import { buildTrack2 } from './track2.js';

/**
 * The EMV contactless payment application on the App SE (README.md). It holds no key and no
 * credential: after SELECT and GET PROCESSING OPTIONS it asks the Crypto SE for the card data
 * (which the Crypto SE releases only after a user verification), and GENERATE AC asks the Crypto
 * SE for the application cryptogram. Both requests leave the App SE as PERFORM CARD APDU proactive
 * commands (proactive.ts) that the device carries to the Crypto SE.
 *
 * Transaction state lives in the store under `txn.*` and is wiped by every SELECT.
 */

const STATE = { selected: 1, waitingCardData: 2, ready: 3, waitingCryptogram: 4, done: 5 } as const;

const KEY = {
  state: 'txn.state',
  pending: 'txn.pending',
  fetched: 'txn.fetched',
  commandNumber: 'txn.number',
  pan: 'txn.pan',
  expiry: 'txn.expiry',
  panSequenceNumber: 'txn.psn',
} as const;

const TRANSACTION_KEYS = Object.values(KEY);

function stateOf(context: AppletContext): number {
  return context.store.get(KEY.state)?.[0] ?? 0;
}

function setState(context: AppletContext, state: number): void {
  context.store.set(KEY.state, Uint8Array.of(state));
}

/** A setting from personalization, else from the install parameters (C9), else the default. */
function setting(context: AppletContext, tag: number, fallback?: Uint8Array): Uint8Array | undefined {
  return context.store.get(settingKey(tag)) ?? installSetting(context.installParameters, tag) ?? fallback;
}

function dolLength(dol: Uint8Array | undefined): number {
  if (dol === undefined) return 0;
  return decodeDOL(dol).reduce((sum, entry) => sum + entry.length, 0);
}

function select(context: AppletContext): AppletResponse {
  for (const key of TRANSACTION_KEYS) context.store.delete(key);
  setState(context, STATE.selected);
  const label = setting(context, EMV_TAG.applicationLabel, new TextEncoder().encode(DEFAULT_APPLICATION_LABEL));
  const priority = setting(context, EMV_TAG.applicationPriority);
  const pdol = setting(context, EMV_TAG.pdol);
  const proprietary: TLVNode[] = [];
  if (label !== undefined) proprietary.push(primitiveNode(EMV_TAG.applicationLabel, label));
  if (priority !== undefined) proprietary.push(primitiveNode(EMV_TAG.applicationPriority, priority));
  if (pdol !== undefined) proprietary.push(primitiveNode(EMV_TAG.pdol, pdol));
  const fci = encodeTLV([constructedNode(EMV_TAG.fciTemplate, [
    primitiveNode(EMV_TAG.dfName, context.aid),
    constructedNode(EMV_TAG.fciProprietary, proprietary),
  ])]);
  return { data: fci, sw: StatusWord.noError };
}

/** E1 { 4F our AID, C1 the TSM key id that signed us }: who asks, for the Crypto SE's ACL. */
function callerTemplate(context: AppletContext, keyId: Uint8Array): TLVNode {
  return constructedNode(0xe1, [primitiveNode(0x4f, context.aid), primitiveNode(0xc1, keyId)]);
}

/** Ends the command with '91XX': the device fetches the PERFORM CARD APDU and comes back. */
function askCryptoSE(context: AppletContext, commandAPDU: Uint8Array, nextState: number): AppletResponse {
  const number = ((context.store.get(KEY.commandNumber)?.[0] ?? 0) % 0xfe) + 1;
  const proactive = encodePerformCardAPDU(number, commandAPDU);
  context.store.set(KEY.commandNumber, Uint8Array.of(number));
  context.store.set(KEY.pending, proactive);
  context.store.delete(KEY.fetched);
  setState(context, nextState);
  return { sw: (PROACTIVE_PENDING_SW1 << 8) | proactive.length };
}

function personalized(context: AppletContext): { slot: number; keyId: Uint8Array; cvm: number } | undefined {
  const slot = setting(context, PAYMENT_PERSONALIZATION_TAG.credentialSlot)?.[0];
  const keyId = setting(context, PAYMENT_PERSONALIZATION_TAG.callerKeyId);
  if (slot === undefined || keyId === undefined) return undefined;
  return { slot, keyId, cvm: setting(context, PAYMENT_PERSONALIZATION_TAG.cvm)?.[0] ?? 0x00 };
}

function shortAPDU(ins: number, p1: number, data: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(CRYPTO_SE_PAYMENT_CLA, ins, p1, 0x00, data.length), data, Uint8Array.of(0x00));
}

function getProcessingOptions(command: AppletCommand, context: AppletContext): AppletResponse {
  if (stateOf(context) !== STATE.selected) return { sw: StatusWord.conditionsOfUseNotSatisfied };
  if (command.p1 !== 0x00 || command.p2 !== 0x00) return { sw: StatusWord.incorrectP1P2 };
  const expectedLength = dolLength(setting(context, EMV_TAG.pdol));
  const data = command.data;
  if (data[0] !== EMV_TAG.commandTemplate || data[1] !== data.length - 2 || data.length - 2 !== expectedLength) {
    return { sw: StatusWord.wrongLength };
  }
  const card = personalized(context);
  if (card === undefined) return { sw: StatusWord.conditionsOfUseNotSatisfied };
  const request = encodeTLV([callerTemplate(context, card.keyId)]);
  return askCryptoSE(context, shortAPDU(CRYPTO_SE_PAYMENT_INS.readPaymentData, card.slot, request), STATE.waitingCardData);
}

function generateAC(command: AppletCommand, context: AppletContext): AppletResponse {
  if (stateOf(context) !== STATE.ready) return { sw: StatusWord.conditionsOfUseNotSatisfied };
  if ((command.p1 & ~CRYPTOGRAM_TYPE_MASK) !== 0x00 || command.p2 !== 0x00) return { sw: StatusWord.incorrectP1P2 };
  const requested = command.p1 & CRYPTOGRAM_TYPE_MASK;
  if (requested === 0xc0) return { sw: StatusWord.incorrectP1P2 };
  const cdol1 = setting(context, EMV_TAG.cdol1, DEFAULT_CDOL1);
  if (command.data.length !== dolLength(cdol1)) return { sw: StatusWord.wrongLength };
  const card = personalized(context);
  if (card === undefined) return { sw: StatusWord.conditionsOfUseNotSatisfied };
  const request = encodeTLV([
    callerTemplate(context, card.keyId),
    primitiveNode(0xc1, Uint8Array.of(card.slot)),
    primitiveNode(0xc2, command.data),
    primitiveNode(0xc3, Uint8Array.of(requested === CRYPTOGRAM_TYPE.aac ? CRYPTOGRAM_TYPE.aac : CRYPTOGRAM_TYPE.arqc)),
    primitiveNode(EMV_TAG.aip, setting(context, EMV_TAG.aip, DEFAULT_AIP) ?? DEFAULT_AIP),
  ]);
  return askCryptoSE(context, shortAPDU(CRYPTO_SE_PAYMENT_INS.generateAC, card.cvm, request), STATE.waitingCryptogram);
}

function readRecord(command: AppletCommand, context: AppletContext): AppletResponse {
  const state = stateOf(context);
  if (state !== STATE.ready && state !== STATE.done) return { sw: StatusWord.conditionsOfUseNotSatisfied };
  if ((command.p2 & 0x07) !== 0x04) return { sw: StatusWord.incorrectP1P2 };
  if (command.p2 >> 3 !== RECORD_SFI || command.p1 !== RECORD_NUMBER) return { sw: StatusWord.recordNotFound };
  const pan = context.store.get(KEY.pan);
  const expiry = context.store.get(KEY.expiry);
  const panSequenceNumber = context.store.get(KEY.panSequenceNumber);
  if (pan === undefined || expiry === undefined || panSequenceNumber === undefined) return { sw: StatusWord.conditionsOfUseNotSatisfied };
  const track2 = buildTrack2(pan, expiry);
  if (track2 === undefined) return { sw: StatusWord.conditionsOfUseNotSatisfied };
  const children: TLVNode[] = [
    primitiveNode(EMV_TAG.track2, track2),
    primitiveNode(EMV_TAG.pan, pan),
    primitiveNode(EMV_TAG.expiry, expiry),
    primitiveNode(EMV_TAG.panSequenceNumber, panSequenceNumber),
    primitiveNode(EMV_TAG.cdol1, setting(context, EMV_TAG.cdol1, DEFAULT_CDOL1) ?? DEFAULT_CDOL1),
  ];
  const name = setting(context, EMV_TAG.cardholderName);
  if (name !== undefined) children.push(primitiveNode(EMV_TAG.cardholderName, name));
  return { data: encodeTLV([constructedNode(EMV_TAG.recordTemplate, children)]), sw: StatusWord.noError };
}

function fetch(command: AppletCommand, context: AppletContext): AppletResponse {
  const pending = context.store.get(KEY.pending);
  if (pending === undefined) return { sw: StatusWord.conditionsOfUseNotSatisfied };
  if (command.p1 !== 0x00 || command.p2 !== 0x00) return { sw: StatusWord.incorrectP1P2 };
  context.store.set(KEY.fetched, Uint8Array.of(1));
  return { data: pending, sw: StatusWord.noError };
}

/** What the Crypto SE's status word means for the reader: no verification is "see phone" (6986). */
function refusalForReader(sw: number): AppletResponse {
  return { sw: sw === StatusWord.securityStatusNotSatisfied ? StatusWord.commandNotAllowedNoCurrentFile : StatusWord.conditionsOfUseNotSatisfied };
}

function primitiveOf(nodes: readonly TLVNode[], tag: number): Uint8Array | undefined {
  const matches = nodes.filter((node) => node.tag === tag);
  const [node] = matches;
  return matches.length === 1 && node !== undefined && !node.constructed ? node.value : undefined;
}

function cardDataArrived(context: AppletContext, data: Uint8Array): AppletResponse {
  const nodes = decodeTLV(data, { padding: 'reject', lengths: 'minimal', depthMax: 2 });
  const pan = primitiveOf(nodes, EMV_TAG.pan);
  const expiry = primitiveOf(nodes, EMV_TAG.expiry);
  const panSequenceNumber = primitiveOf(nodes, EMV_TAG.panSequenceNumber);
  if (pan === undefined || expiry?.length !== 3 || panSequenceNumber?.length !== 1) return { sw: StatusWord.conditionsOfUseNotSatisfied };
  context.store.set(KEY.pan, pan);
  context.store.set(KEY.expiry, expiry);
  context.store.set(KEY.panSequenceNumber, panSequenceNumber);
  setState(context, STATE.ready);
  const response = encodeTLV([constructedNode(EMV_TAG.responseTemplate2, [
    primitiveNode(EMV_TAG.aip, setting(context, EMV_TAG.aip, DEFAULT_AIP) ?? DEFAULT_AIP),
    primitiveNode(EMV_TAG.afl, DEFAULT_AFL),
  ])]);
  return { data: response, sw: StatusWord.noError };
}

const CRYPTOGRAM_TAGS = [EMV_TAG.cryptogramInformationData, EMV_TAG.atc, EMV_TAG.applicationCryptogram, EMV_TAG.issuerApplicationData];

function cryptogramArrived(context: AppletContext, data: Uint8Array): AppletResponse {
  const nodes = decodeTLV(data, { padding: 'reject', lengths: 'minimal', depthMax: 2 });
  const children: TLVNode[] = [];
  for (const tag of CRYPTOGRAM_TAGS) {
    const value = primitiveOf(nodes, tag);
    if (value === undefined) return { sw: StatusWord.conditionsOfUseNotSatisfied };
    children.push(primitiveNode(tag, value));
  }
  setState(context, STATE.done);
  return { data: encodeTLV([constructedNode(EMV_TAG.responseTemplate2, children)]), sw: StatusWord.noError };
}

function terminalResponse(command: AppletCommand, context: AppletContext): AppletResponse {
  const state = stateOf(context);
  const pending = context.store.get(KEY.pending);
  if (pending === undefined || context.store.get(KEY.fetched) === undefined) return { sw: StatusWord.conditionsOfUseNotSatisfied };
  let received;
  try {
    received = decodeTerminalResponse(command.data);
  } catch {
    return { sw: StatusWord.incorrectData };
  }
  if (received.commandNumber !== context.store.get(KEY.commandNumber)?.[0]) return { sw: StatusWord.incorrectData };
  context.store.delete(KEY.pending);
  context.store.delete(KEY.fetched);
  // Whatever happens next, this transaction cannot resume the interrupted command again.
  setState(context, STATE.done);
  const answer = received.responseAPDU;
  if (received.result !== RESULT_PERFORMED || answer === undefined) return { sw: StatusWord.conditionsOfUseNotSatisfied };
  const sw = ((answer[answer.length - 2] ?? 0) << 8) | (answer[answer.length - 1] ?? 0);
  if (sw !== StatusWord.noError) return refusalForReader(sw);
  const data = answer.subarray(0, answer.length - 2);
  try {
    if (state === STATE.waitingCardData) return cardDataArrived(context, data);
    if (state === STATE.waitingCryptogram) return cryptogramArrived(context, data);
  } catch {
    return { sw: StatusWord.conditionsOfUseNotSatisfied };
  }
  return { sw: StatusWord.conditionsOfUseNotSatisfied };
}

export function createPaymentApplet(): Applet {
  return {
    process(command: AppletCommand, context: AppletContext): AppletResponse {
      const proprietary = (command.cla & 0xf0) === 0x80;
      if (command.ins === EMV_INS.select && !proprietary) return select(context);
      if (!proprietary && command.ins === EMV_INS.readRecord) return readRecord(command, context);
      if (!proprietary) return { sw: StatusWord.instructionNotSupported };
      switch (command.ins) {
        case EMV_INS.getProcessingOptions:
          return getProcessingOptions(command, context);
        case EMV_INS.generateAC:
          return generateAC(command, context);
        case FETCH_INS:
          return fetch(command, context);
        case TERMINAL_RESPONSE_INS:
          return terminalResponse(command, context);
        default:
          return { sw: StatusWord.instructionNotSupported };
      }
    },
    personalize(data: Uint8Array, context: AppletContext): number {
      return personalizePaymentApplication(data, context);
    },
  };
}
