import { createHash } from 'node:crypto';
import { requireBytes } from './fields.js';
import { gpLimit } from './gpError.js';
import { LOAD_BYTES_MAX } from './limits.js';

/** SHA-256 output. */
export const LOAD_FILE_DATA_BLOCK_HASH_BYTES = 32;

/**
 * The Load File Data Block Hash (GP 2.3 §C.2): a hash of the Load File Data Block, the value of
 * 'C4' without its tag and length, as INSTALL [for load] carries it and a DAP signs it. Tessera
 * uses SHA-256 (GP 2.3 lists SHA-1 and the SHA-2 family; SHA-1 is not offered).
 */
export function loadFileDataBlockHash(loadFileDataBlock: Uint8Array): Uint8Array {
  const block = requireBytes(loadFileDataBlock, 'Load File Data Block');
  if (block.length > LOAD_BYTES_MAX) throw gpLimit(`a Load File Data Block of ${block.length} bytes exceeds ${LOAD_BYTES_MAX}`);
  return new Uint8Array(createHash('sha256').update(block).digest());
}
