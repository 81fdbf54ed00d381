import { deviceError, DeviceErrorCode } from '../errors.js';
import type { NFCController, PaymentModeButton, RadioState, SMSModem } from '../types.js';

/** Longest SMS text the modem model takes (GSM 03.38, one part). */
export const SMS_TEXT_CHARACTERS_MAX = 160;
/** Messages the modem model keeps in its outbox. */
export const SMS_OUTBOX_MAX = 32;

/**
 * MODELS of the phone's radios and the payment-mode button (seed 000 [0052]: "a payment mode
 * button enables the PIN tunnel and lets NFC pay while the other radios are off"). They hold only
 * switch state, kept in device.json; nothing secret passes through them in clear — the NFC
 * controller routes card emulation to the App SE, the modem carries already-sealed text.
 */
export class RadioModels implements NFCController, SMSModem, PaymentModeButton {
  readonly #state: RadioState;
  readonly #persist: () => void;
  readonly msisdn: string;

  constructor(state: RadioState, msisdn: string, persist: () => void) {
    this.#state = state;
    this.msisdn = msisdn;
    this.#persist = persist;
  }

  get paymentMode(): boolean {
    return this.#state.paymentMode;
  }

  get nfcEnabled(): boolean {
    return this.#state.nfc;
  }

  get cellularEnabled(): boolean {
    return this.#state.cellular;
  }

  /** Toggles payment mode: on, NFC card emulation (routed to the App SE) on and the other radios off; off restores them. */
  press(): boolean {
    this.#state.paymentMode = !this.#state.paymentMode;
    this.#state.nfc = this.#state.paymentMode;
    this.#state.cellular = !this.#state.paymentMode;
    this.#persist();
    return this.#state.paymentMode;
  }

  /** Where NFC card emulation is routed: the App SE (which holds the payment applications) or nowhere. */
  get cardEmulationRoute(): 'app-se' | 'off' {
    return this.#state.nfc ? 'app-se' : 'off';
  }

  send(to: string, text: string): void {
    if (!this.#state.cellular) throw deviceError(DeviceErrorCode.radioOff, 'the cellular radio is off (payment mode)');
    if (text.length > SMS_TEXT_CHARACTERS_MAX) throw deviceError(DeviceErrorCode.invalid, `an SMS part is at most ${SMS_TEXT_CHARACTERS_MAX} characters`);
    this.#state.outbox.push({ to, text });
    if (this.#state.outbox.length > SMS_OUTBOX_MAX) this.#state.outbox.shift();
    this.#persist();
  }

  get outbox(): readonly { readonly to: string; readonly text: string }[] {
    return this.#state.outbox;
  }
}
