import { concatBytes } from '../bytes.js';
import { LoadP1 } from './constants.js';
import { requireByte, requireBytes } from './fields.js';
import { gpLimit, gpMalformed, gpParameters } from './gpError.js';
import { decodeLoadData } from './loadCommand.js';
import type { LoadCommandBlock, LoadData } from './loadCommand.js';
import { LOAD_BLOCKS_MAX, LOAD_BYTES_MAX, LOAD_HEADER_BYTES_MAX } from './limits.js';

/**
 * The card side of LOAD (GP 2.3 §11.6.2): blocks arrive in P2 order from '00'; P1 '80' marks the
 * last. Progress is plain immutable data, so the card keeps it in its session state and drops it
 * when the sequence is abandoned (a new INSTALL [for load], a reset, a closed secure channel).
 *
 * A block out of sequence is ERR_GP_PARAMETERS (the card answers 6A86, incorrect P1 P2); data
 * beyond `bytesMax` is ERR_GP_LIMIT (6A84, not enough memory); a byte string that is not DAP
 * blocks then 'C4' is ERR_GP_MALFORMED (6A80), found when the last block arrives.
 */

export interface LoadProgress {
  readonly nextBlockNumber: number;
  readonly receivedBytes: number;
  readonly blocks: readonly Uint8Array[];
}

export type LoadStep =
  | { readonly complete: false; readonly progress: LoadProgress }
  | { readonly complete: true; readonly data: LoadData };

export const LOAD_NOT_STARTED: LoadProgress = { nextBlockNumber: 0, receivedBytes: 0, blocks: [] };

export interface LoadReassemblyOptions {
  /** Largest Load File Data Block accepted; defaults to LOAD_BYTES_MAX. */
  readonly bytesMax?: number;
}

export function acceptLoadBlock(progress: LoadProgress, block: LoadCommandBlock, options: LoadReassemblyOptions = {}): LoadStep {
  const bytesMax = options.bytesMax ?? LOAD_BYTES_MAX;
  const p1 = requireByte(block.p1, 'LOAD P1');
  const p2 = requireByte(block.p2, 'LOAD P2');
  const data = requireBytes(block.data, 'LOAD data');
  if (p1 !== LoadP1.moreBlocks && p1 !== LoadP1.lastBlock) {
    throw gpParameters(`LOAD P1 must be 00 or 80, received ${p1.toString(16).toUpperCase().padStart(2, '0')}`);
  }
  if (progress.nextBlockNumber >= LOAD_BLOCKS_MAX) throw gpParameters(`LOAD sequence already has ${LOAD_BLOCKS_MAX} blocks`);
  if (p2 !== progress.nextBlockNumber) {
    throw gpParameters(`LOAD block number ${p2} received where block ${progress.nextBlockNumber} was expected`);
  }
  if (data.length === 0) throw gpMalformed(`LOAD block ${p2} carries no data`);
  const receivedBytes = progress.receivedBytes + data.length;
  if (receivedBytes > bytesMax + LOAD_HEADER_BYTES_MAX) throw gpLimit(`LOAD sequence exceeds ${bytesMax} bytes`, 0x6a84);
  const blocks = [...progress.blocks, Uint8Array.from(data)];
  if (p1 === LoadP1.moreBlocks) return { complete: false, progress: { nextBlockNumber: p2 + 1, receivedBytes, blocks } };
  return { complete: true, data: decodeLoadData(concatBytes(...blocks), bytesMax) };
}
