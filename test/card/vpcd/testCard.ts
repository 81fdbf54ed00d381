/**
 * A deliberately small SmartCard for the vpcd bridge tests, standing in for the card runtime
 * (src/card), which plugs into the same interface. It answers:
 *   SELECT by name (00 A4 04 00) of the GlobalPlatform ISD AID A000000151000000 with an FCI and 9000
 *     (GP Card Specification 2.3 §11.9.3.1; the AID is GP's default ISD AID), other AIDs 6A82;
 *   ECHO (80 EE 00 00 Lc data), a test-only proprietary command, with the data and 9000;
 *   any other INS 6D00, any other class 6E00, a malformed APDU 6700, anything while unpowered 6F00.
 */
import { concatBytes, copyBytes, fromHex } from '../../../src/lib/bytes.js';
import { parseCommandAPDU } from '../../../src/lib/apdu.js';
import { StatusWord, statusWordToBytes } from '../../../src/lib/status-words.js';
import type { SmartCard } from '../../../src/card/types.js';

export const ISD_AID_HEX = 'A000000151000000';
export const ECHO_CLA = 0x80;
export const ECHO_INS = 0xee;

/**
 * ATR for a T=1 card, shaped like PC/SC Part 3's ATR for contactless ISO 14443-4 cards: TS '3B',
 * T0 '8K' (TD1 follows, K historical bytes), TD1 '80' (TD2 follows, T=0), TD2 '01' (T=1), the
 * historical bytes, then TCK, the XOR of T0 to the last historical byte (ISO/IEC 7816-3 §8.2.5).
 */
export function buildATR(historical: Uint8Array): Uint8Array {
  const body = concatBytes(Uint8Array.of(0x80 | historical.length, 0x80, 0x01), historical);
  let tck = 0;
  for (const byte of body) tck ^= byte;
  return concatBytes(Uint8Array.of(0x3b), body, Uint8Array.of(tck));
}

/** "TESSERA" as historical bytes. */
export const TEST_ATR = buildATR(new TextEncoder().encode('TESSERA'));

/** FCI of the ISD: '6F' { '84' AID, 'A5' { '9F65' max command length FF } }. */
export const ISD_FCI_HEX = `6F10 8408${ISD_AID_HEX} A504 9F6501FF`.replace(/\s/g, '');

export class TestCard implements SmartCard {
  readonly atr: Uint8Array = copyBytes(TEST_ATR);
  powered = false;
  powerOnCount = 0;
  powerOffCount = 0;
  resetCount = 0;
  /** INS bytes of every command seen, in order. */
  readonly instructions: number[] = [];

  powerOn(): Uint8Array {
    this.powered = true;
    this.powerOnCount += 1;
    return copyBytes(this.atr);
  }

  powerOff(): void {
    this.powered = false;
    this.powerOffCount += 1;
  }

  reset(): Uint8Array {
    this.powered = true;
    this.resetCount += 1;
    return copyBytes(this.atr);
  }

  transmit(command: Uint8Array): Uint8Array {
    if (!this.powered) return statusWordToBytes(StatusWord.noPreciseDiagnosis);
    this.instructions.push(command[1] ?? -1);
    let apdu: ReturnType<typeof parseCommandAPDU>;
    try {
      apdu = parseCommandAPDU(command);
    } catch {
      return statusWordToBytes(StatusWord.wrongLength);
    }
    if (apdu.cla === 0x00 && apdu.ins === 0xa4) {
      if (apdu.p1 !== 0x04) return statusWordToBytes(StatusWord.incorrectP1P2);
      const selected = Buffer.from(apdu.data).toString('hex').toUpperCase();
      if (selected !== ISD_AID_HEX) return statusWordToBytes(StatusWord.fileOrApplicationNotFound);
      return concatBytes(fromHex(ISD_FCI_HEX), statusWordToBytes(StatusWord.noError));
    }
    if (apdu.cla === ECHO_CLA && apdu.ins === ECHO_INS) {
      return concatBytes(apdu.data, statusWordToBytes(StatusWord.noError));
    }
    if (apdu.cla === 0x00 || apdu.cla === ECHO_CLA) return statusWordToBytes(StatusWord.instructionNotSupported);
    return statusWordToBytes(StatusWord.classNotSupported);
  }
}
