import type { CommandAPDU, ResponseAPDU } from '../../apdu.js';
import { gpStatusError } from './errors.js';

/** Sends one plain command (the channel protects it if a secure channel is open) and returns the plain response. */
export type GPExchange = (command: CommandAPDU) => Promise<ResponseAPDU>;

const SW_NO_ERROR = 0x9000;

/** The response data, or ERR_GP_STATUS naming `name` when the status word is not one of `accepted`. */
export function requireStatus(name: string, response: ResponseAPDU, accepted: readonly number[] = [SW_NO_ERROR]): Uint8Array {
  if (!accepted.includes(response.sw)) throw gpStatusError(name, response.sw);
  return response.data;
}
