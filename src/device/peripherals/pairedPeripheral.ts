import { sealTunnelInput } from '../../applets/crypto-se/client.js';

/**
 * The part every tunnel peripheral shares (seed 000 [0050]: keypad and sensor deliver input
 * straight into the Crypto SE): a 32-byte AES-256 pairing key set at manufacture and a monotonic
 * counter. On hardware both live in the peripheral's controller and never reach the phone OS; in
 * the model they live in the device directory, sealed under the device key (peripheralStore.ts).
 */
export interface PeripheralSecrets {
  readonly pairingKey: Uint8Array;
  counter: bigint;
}

export class PairedPeripheral {
  readonly #secrets: PeripheralSecrets;
  readonly #sourceId: number;
  readonly #persist: () => void;

  constructor(sourceId: number, secrets: PeripheralSecrets, persist: () => void) {
    this.#sourceId = sourceId;
    this.#secrets = secrets;
    this.#persist = persist;
  }

  /** Seals one input for the Crypto SE; the counter is saved before the blob leaves (never reused). */
  protected sealForCryptoSE(input: Uint8Array): Uint8Array {
    this.#secrets.counter += 1n;
    this.#persist();
    return sealTunnelInput(this.#secrets.pairingKey, this.#sourceId, this.#secrets.counter, input);
  }
}
