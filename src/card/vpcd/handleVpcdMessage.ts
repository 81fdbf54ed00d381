import { copyBytes } from '../../lib/bytes.js';
import { StatusWord, statusWordToBytes } from '../../lib/status-words.js';
import type { SmartCard } from '../types.js';
import { VPCD_CONTROL_BYTES, VPCD_MESSAGE_BYTES_MAX, VpcdControl } from './constants.js';

/** What one message from vpcd did to the card, and the answer to send back, if any. */
export type VpcdMessageOutcome =
  | { readonly kind: 'powerOff' }
  | { readonly kind: 'powerOn' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'getATR'; readonly response: Uint8Array }
  | {
      readonly kind: 'apdu';
      readonly response: Uint8Array;
      /**
       * Why the card's own answer was replaced by 6F00, when it was: the card threw (a bug in the
       * card runtime: the SmartCard contract says it never throws) or answered more bytes than a
       * vpcd message can carry.
       */
      readonly failure?: 'cardThrew' | 'responseTooLong';
      readonly error?: unknown;
    }
  | { readonly kind: 'ignored'; readonly reason: 'emptyMessage' | 'unknownControl' };

/**
 * Applies one vpcd message to the card, as VirtualSmartcard.py `run()` does on the reference card
 * side: a 1-byte message is a control command (power off, power on, reset: no answer; get ATR:
 * the ATR), any longer message is a command APDU answered by the response APDU. An empty message
 * and an unknown control byte are ignored without an answer, as the reference does ("Error in
 * communication protocol", "unknown control command"); vpcd never sends either.
 *
 * The card sees a fresh copy of the command, never the receive buffer.
 */
export function handleVpcdMessage(card: SmartCard, message: Uint8Array): VpcdMessageOutcome {
  if (message.length === 0) return { kind: 'ignored', reason: 'emptyMessage' };
  if (message.length === VPCD_CONTROL_BYTES) return handleControl(card, message[0] as number);
  let response: Uint8Array;
  try {
    response = card.transmit(copyBytes(message));
  } catch (error) {
    // A reader whose card stops making sense still answers the host; 6F00 is ISO/IEC 7816-4's
    // "no precise diagnosis", and keeps pcscd's session alive for the next command.
    return { kind: 'apdu', response: statusWordToBytes(StatusWord.noPreciseDiagnosis), failure: 'cardThrew', error };
  }
  if (response.length > VPCD_MESSAGE_BYTES_MAX) {
    return { kind: 'apdu', response: statusWordToBytes(StatusWord.noPreciseDiagnosis), failure: 'responseTooLong' };
  }
  return { kind: 'apdu', response };
}

function handleControl(card: SmartCard, control: number): VpcdMessageOutcome {
  switch (control) {
    case VpcdControl.powerOff:
      card.powerOff();
      return { kind: 'powerOff' };
    case VpcdControl.powerOn:
      // The ATR returned here is not sent: vpcd asks for it with a separate get ATR (ifd-vpcd.c
      // IFDHPowerICC calls IFDHGetCapabilities(TAG_IFD_ATR) after vicc_poweron).
      card.powerOn();
      return { kind: 'powerOn' };
    case VpcdControl.reset:
      card.reset();
      return { kind: 'reset' };
    case VpcdControl.getATR:
      return { kind: 'getATR', response: copyBytes(card.atr) };
    default:
      return { kind: 'ignored', reason: 'unknownControl' };
  }
}
