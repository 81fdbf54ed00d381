import { createCipheriv, type Cipher } from 'node:crypto';
import { aesAlgorithm } from './aesCipher.js';
import { requireKeyLength, requireMessage } from './checks.js';
import { deriveCMACSubkeys } from './deriveCMACSubkeys.js';
import { AES_BLOCK_BYTES, AES_KEY_LENGTHS_BYTES } from './limits.js';

const ZERO_BLOCK = new Uint8Array(AES_BLOCK_BYTES);

/**
 * AES-CMAC (RFC 4493) under one key for many messages: the key schedule and the subkeys K1, K2
 * are computed once, and one AES-CBC context runs for the whole life of the key. A secure channel
 * MACs every command and response under the same session key, so this is what it uses.
 *
 * The CBC context is never reset: after a message its chaining state is that message's tag T.
 * CBC-MAC needs a zero IV for the next message, so its first block is pre-XORed with T, which the
 * cipher's own XOR cancels (the same identity `computeAESCMAC` uses for L). Results equal
 * `computeAESCMAC` exactly (checked against RFC 4493 and as a property in the tests).
 */
export class AESCMACContext {
  #cipher: Cipher | undefined;
  readonly #k1: Uint8Array;
  readonly #k2: Uint8Array;
  /** The CBC chaining state: L after set-up, then the last tag. */
  readonly #state: Uint8Array;

  constructor(key: Uint8Array) {
    requireKeyLength(key, AES_KEY_LENGTHS_BYTES, 'AES key');
    const cipher = createCipheriv(aesAlgorithm(key, 'cbc'), key, ZERO_BLOCK);
    cipher.setAutoPadding(false);
    this.#state = new Uint8Array(cipher.update(ZERO_BLOCK));
    const { k1, k2 } = deriveCMACSubkeys(this.#state);
    this.#k1 = k1;
    this.#k2 = k2;
    this.#cipher = cipher;
  }

  /** The full 16-byte tag of `message`. */
  compute(message: Uint8Array): Uint8Array {
    const cipher = this.#cipher;
    if (cipher === undefined) throw new Error('AESCMACContext used after destroy()');
    requireMessage(message);
    const blockCount = Math.max(1, Math.ceil(message.length / AES_BLOCK_BYTES));
    const lastBlockComplete = message.length > 0 && message.length % AES_BLOCK_BYTES === 0;
    const lastBlockOffset = (blockCount - 1) * AES_BLOCK_BYTES;
    const chainInput = new Uint8Array(blockCount * AES_BLOCK_BYTES);
    chainInput.set(message);
    if (!lastBlockComplete) chainInput[message.length] = 0x80; // RFC 4493 §2.4 padding
    const subkey = lastBlockComplete ? this.#k1 : this.#k2;
    for (let i = 0; i < AES_BLOCK_BYTES; i++) {
      chainInput[lastBlockOffset + i] = (chainInput[lastBlockOffset + i] as number) ^ (subkey[i] as number);
      chainInput[i] = (chainInput[i] as number) ^ (this.#state[i] as number);
    }
    const chainOutput = cipher.update(chainInput);
    this.#state.set(chainOutput.subarray(chainOutput.length - AES_BLOCK_BYTES));
    chainInput.fill(0);
    chainOutput.fill(0);
    return this.#state.slice();
  }

  /** Forgets the subkeys and ends the cipher context. */
  destroy(): void {
    this.#k1.fill(0);
    this.#k2.fill(0);
    this.#state.fill(0);
    this.#cipher?.final();
    this.#cipher = undefined;
  }
}
