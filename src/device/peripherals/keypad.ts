import { encodeKeypadInput, TUNNEL_SOURCE, type KeypadInput } from '../../applets/crypto-se/client.js';
import type { SecureKeypad } from '../types.js';
import { PairedPeripheral, type PeripheralSecrets } from './pairedPeripheral.js';

/**
 * MODEL of the secure keypad (seed 000 [0050]-[0051]). A real keypad controller scans its keys
 * itself, so the digits never exist in the phone OS's memory; it hands the OS only the sealed
 * blob. Here a test or the CLI stands in for the person pressing keys, so the keystrokes are the
 * argument — and the sealed blob is still all the host gets back.
 */
export class KeypadModel extends PairedPeripheral implements SecureKeypad {
  constructor(secrets: PeripheralSecrets, persist: () => void) {
    super(TUNNEL_SOURCE.keypad, secrets, persist);
  }

  type(keystrokes: KeypadInput): Uint8Array {
    return this.sealForCryptoSE(encodeKeypadInput(keystrokes));
  }
}
