import type { CommandAPDU } from '../../apdu.js';
import { scp03ChallengeBytes, type SCP03Mode, type SCP03SecurityLevel } from '../../scp03/index.js';
import { hasCommandEncryption } from '../../scp03/types.js';
import { GPInstruction } from '../constants.js';
import { encodeLoadData, splitLoadData, type DAPBlock } from '../loadCommand.js';
import { gpResponseError } from './errors.js';
import { AES_BLOCK_BYTES } from './limits.js';

/**
 * The largest plain LOAD block that still fits `commandDataBytesMax` once secure messaging has
 * added its MAC (8 bytes in S8 mode, 16 in S16) and, with C-DECRYPTION, padded the data to whole
 * AES blocks (always at least one padding byte, Amendment D §6.2.6): 239 bytes at level 03 on a
 * 255-byte card, 247 at level 01.
 */
export function loadBlockBytesMax(commandDataBytesMax: number, channel: { readonly session: { readonly mode: SCP03Mode }; readonly securityLevel: SCP03SecurityLevel } | undefined): number {
  if (channel === undefined) return commandDataBytesMax;
  const available = commandDataBytesMax - scp03ChallengeBytes(channel.session.mode);
  const blockBytesMax = hasCommandEncryption(channel.securityLevel)
    ? (Math.floor(available / AES_BLOCK_BYTES) - 1) * AES_BLOCK_BYTES + (AES_BLOCK_BYTES - 1)
    : available;
  if (blockBytesMax < 1) throw gpResponseError('SELECT', `a command data field of ${commandDataBytesMax} bytes leaves no room for LOAD data`);
  return blockBytesMax;
}

/** Every LOAD command, in order: P2 the block number, P1 '80' on the last. */
export function loadCommands(
  cla: number,
  loadFileDataBlock: Uint8Array,
  dapBlocks: readonly DAPBlock[],
  blockBytesMax: number,
): { name: string; command: CommandAPDU }[] {
  return splitLoadData(encodeLoadData({ dapBlocks, loadFileDataBlock }), blockBytesMax).map((block) => ({
    name: `LOAD block ${block.p2}`,
    command: { cla, ins: GPInstruction.load, p1: block.p1, p2: block.p2, data: block.data, le: 256 },
  }));
}
