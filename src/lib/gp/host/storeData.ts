import type { CommandAPDU } from '../../apdu.js';
import { GPInstruction } from '../constants.js';
import { gpHostStateError } from './errors.js';
import { STORE_DATA_BLOCKS_MAX } from './limits.js';

/**
 * STORE DATA commands (GP 2.3 §11.11.2): P1 b8 marks the last block, b7-b6 say whether the data
 * is enciphered, b5-b4 its structure; P2 numbers the blocks from '00'.
 */
export interface StoreDataOptions {
  /** P1 b7-b6 (GP 2.3 Table 11-72): '00' no information (default), '20' application dependent, '60' encrypted. */
  readonly encryption?: 'none' | 'application-dependent' | 'encrypted';
  /** P1 b5-b4: '00' no information (default), '08' DGI format, '10' BER-TLV. */
  readonly structure?: 'none' | 'dgi' | 'ber-tlv';
}

const LAST_BLOCK = 0x80;
const ENCRYPTION_BITS = { 'none': 0x00, 'application-dependent': 0x20, 'encrypted': 0x60 } as const;
const STRUCTURE_BITS = { 'none': 0x00, 'dgi': 0x08, 'ber-tlv': 0x10 } as const;

export function buildStoreDataCommands(cla: number, blocks: readonly Uint8Array[], options: StoreDataOptions): CommandAPDU[] {
  if (blocks.length === 0 || blocks.length > STORE_DATA_BLOCKS_MAX) {
    throw gpHostStateError(`STORE DATA sends 1 to ${STORE_DATA_BLOCKS_MAX} blocks, received ${blocks.length}`);
  }
  const flags = ENCRYPTION_BITS[options.encryption ?? 'none'] | STRUCTURE_BITS[options.structure ?? 'none'];
  return blocks.map((data, index) => ({
    cla,
    ins: GPInstruction.storeData,
    p1: flags | (index === blocks.length - 1 ? LAST_BLOCK : 0x00),
    p2: index,
    data: data.slice(),
    le: 256,
  }));
}
