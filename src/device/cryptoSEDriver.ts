import { fromHex } from '../lib/bytes.js';
import type { SmartCard } from '../card/client.js';
import { deviceError, DeviceErrorCode, swText } from './errors.js';

export interface CardAnswer {
  readonly data: Uint8Array;
  readonly sw: number;
}

/** One APDU to a card: data and status word apart. */
export function exchange(card: SmartCard, apdu: Uint8Array): CardAnswer {
  const response = card.transmit(apdu);
  const sw = ((response[response.length - 2] ?? 0) << 8) | (response[response.length - 1] ?? 0);
  return { data: response.subarray(0, response.length - 2), sw };
}

export function selectCommand(aidHex: string): Uint8Array {
  const aid = fromHex(aidHex);
  return Uint8Array.of(0x00, 0xa4, 0x04, 0x00, aid.length, ...aid, 0x00);
}

/** An answer the step needs to be 9000, else a device error naming the command and the SW. */
export function require9000(step: string, answer: CardAnswer): Uint8Array {
  if (answer.sw !== 0x9000) throw deviceError(DeviceErrorCode.refused, `${step}: the secure element answered ${swText(answer.sw)}`, { sw: swText(answer.sw) });
  return answer.data;
}

/**
 * The host's link to the Crypto SE: power, SELECT, and APDUs. It relays bytes it cannot read — the
 * tunnel blobs from keypad and sensor, credential packages sealed to the card's key — and sees
 * only public answers (status words, public keys, certificates, last four digits).
 */
export class CryptoSELink {
  readonly #card: SmartCard;
  readonly #aid: string;
  #open = false;

  constructor(card: SmartCard, aidHex: string) {
    this.#card = card;
    this.#aid = aidHex;
  }

  /** A new session (power up, SELECT): what every user-facing operation starts with. */
  begin(): void {
    this.#card.powerOn();
    require9000(`SELECT ${this.#aid}`, exchange(this.#card, selectCommand(this.#aid)));
    this.#open = true;
  }

  send(apdu: Uint8Array): CardAnswer {
    if (!this.#open) this.begin();
    return exchange(this.#card, apdu);
  }

  /** All blocks of a multi-block command; every block but the last must answer 9000. */
  sendAll(apdus: readonly Uint8Array[]): CardAnswer {
    let last: CardAnswer = { data: new Uint8Array(0), sw: 0x6f00 };
    for (const [index, apdu] of apdus.entries()) {
      last = this.send(apdu);
      if (index < apdus.length - 1 && last.sw !== 0x9000) return last;
    }
    return last;
  }

  /** Transmit without the data/SW split (for readCertificate). */
  transmit(apdu: Uint8Array): Uint8Array {
    if (!this.#open) this.begin();
    return this.#card.transmit(apdu);
  }

  end(): void {
    this.#card.powerOff();
    this.#open = false;
  }
}
