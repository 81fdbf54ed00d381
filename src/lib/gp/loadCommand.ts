import { concatBytes } from '../bytes.js';
import { constructedNode, encodeTLV, primitiveNode, tagToHex } from '../tlv/index.js';
import type { TLVNode } from '../tlv/index.js';
import { GPTag, LoadP1 } from './constants.js';
import { decodeGPTLV, primitiveValue, requireAID, requireBytes } from './fields.js';
import { gpLimit, gpMalformed } from './gpError.js';
import {
  DAP_BLOCKS_MAX, DAP_SIGNATURE_BYTES_MAX, LOAD_BLOCKS_MAX, LOAD_BLOCK_BYTES_MAX, LOAD_BYTES_MAX, LOAD_HEADER_BYTES_MAX,
} from './limits.js';

/**
 * The LOAD data (GP 2.3 §11.6.2.3, Table 11-58): optional DAP blocks, then the Load File Data
 * Block, sent as one byte string cut into LOAD commands numbered by P2, P1 '80' on the last.
 *
 *   E2 L { 4F L Security Domain AID   C3 L signature }      DAP block, repeated per SD
 *   C4 L Load File Data Block                              (BER length: '81'/'82'/'83' for big files)
 *
 * The Ciphered Load File Data Block ('D4') is not supported: Tessera load files are not secret.
 */

export interface DAPBlock {
  /** The Security Domain whose DAP key verifies the signature. */
  readonly securityDomainAID: Uint8Array;
  /** Signature over the Load File Data Block Hash (see `signDAP`). */
  readonly signature: Uint8Array;
}

export interface LoadData {
  readonly dapBlocks: readonly DAPBlock[];
  readonly loadFileDataBlock: Uint8Array;
}

export interface LoadCommandBlock {
  /** '00' more blocks follow, '80' last block. */
  readonly p1: number;
  /** Block number, '00'-'FF'. */
  readonly p2: number;
  readonly data: Uint8Array;
}

function checkSignature(signature: Uint8Array): Uint8Array {
  if (signature.length === 0 || signature.length > DAP_SIGNATURE_BYTES_MAX) {
    throw gpMalformed(`expected a DAP signature of 1 to ${DAP_SIGNATURE_BYTES_MAX} bytes, received ${signature.length}`);
  }
  return signature;
}

/** The whole LOAD byte string: DAP blocks then 'C4'. */
export function encodeLoadData(data: LoadData): Uint8Array {
  if (data.dapBlocks.length > DAP_BLOCKS_MAX) throw gpLimit(`at most ${DAP_BLOCKS_MAX} DAP blocks, received ${data.dapBlocks.length}`);
  const block = requireBytes(data.loadFileDataBlock, 'Load File Data Block');
  if (block.length > LOAD_BYTES_MAX) throw gpLimit(`a Load File Data Block of ${block.length} bytes exceeds ${LOAD_BYTES_MAX}`);
  const daps = data.dapBlocks.map((dap) =>
    constructedNode(GPTag.DAP_BLOCK, [
      primitiveNode(GPTag.AID, requireAID(dap.securityDomainAID, 'DAP Security Domain AID')),
      primitiveNode(GPTag.LOAD_FILE_DATA_BLOCK_SIGNATURE, checkSignature(dap.signature)),
    ]),
  );
  return concatBytes(encodeTLV(daps), encodeTLV([primitiveNode(GPTag.LOAD_FILE_DATA_BLOCK, block)]));
}

function decodeDAPBlock(node: TLVNode): DAPBlock {
  const what = "DAP block ('E2')";
  if (!node.constructed) throw gpMalformed(`${what} must be constructed`);
  const [aid, signature, extra] = node.children;
  if (aid?.tag !== GPTag.AID || signature?.tag !== GPTag.LOAD_FILE_DATA_BLOCK_SIGNATURE || extra !== undefined) {
    throw gpMalformed(`${what} must hold exactly '4F' then 'C3'`);
  }
  return {
    securityDomainAID: requireAID(primitiveValue(aid, what), 'DAP Security Domain AID'),
    signature: checkSignature(primitiveValue(signature, what)),
  };
}

/** Parses the reassembled LOAD byte string: any 'E2' blocks, then exactly one 'C4', last. */
export function decodeLoadData(received: Uint8Array, bytesMax: number = LOAD_BYTES_MAX): LoadData {
  const what = 'LOAD data';
  const nodes = decodeGPTLV(received, what, { bytesMax: bytesMax + LOAD_HEADER_BYTES_MAX });
  const last = nodes.at(-1);
  if (last === undefined || last.tag !== GPTag.LOAD_FILE_DATA_BLOCK) {
    if (nodes.some((node) => node.tag === GPTag.CIPHERED_LOAD_FILE_DATA_BLOCK)) {
      throw gpMalformed(`${what}: a Ciphered Load File Data Block ('D4') is not supported`);
    }
    throw gpMalformed(`${what} must end with the Load File Data Block ('C4')`);
  }
  const dapNodes = nodes.slice(0, -1);
  if (dapNodes.length > DAP_BLOCKS_MAX) throw gpLimit(`${what}: more than ${DAP_BLOCKS_MAX} DAP blocks`);
  for (const node of dapNodes) {
    if (node.tag !== GPTag.DAP_BLOCK) throw gpMalformed(`${what}: tag ${tagToHex(node.tag)} where a DAP block ('E2') or 'C4' was expected`);
  }
  const loadFileDataBlock = primitiveValue(last, what);
  if (loadFileDataBlock.length > bytesMax) throw gpLimit(`${what}: a Load File Data Block of ${loadFileDataBlock.length} bytes exceeds ${bytesMax}`, 0x6a84);
  return { dapBlocks: dapNodes.map(decodeDAPBlock), loadFileDataBlock };
}

/**
 * Cuts the LOAD byte string into blocks of at most `blockBytesMax` bytes (what fits a command
 * after secure messaging overhead: 255 minus the MAC and padding for a short APDU), numbered
 * from '00', P1 '80' on the last (GP 2.3 §11.6.2).
 */
export function splitLoadData(encoded: Uint8Array, blockBytesMax: number): LoadCommandBlock[] {
  if (!Number.isInteger(blockBytesMax) || blockBytesMax < 1 || blockBytesMax > LOAD_BLOCK_BYTES_MAX) {
    throw gpLimit(`expected a LOAD block size from 1 to ${LOAD_BLOCK_BYTES_MAX} bytes, received ${String(blockBytesMax)}`);
  }
  if (encoded.length === 0) throw gpMalformed('nothing to load');
  const count = Math.ceil(encoded.length / blockBytesMax);
  if (count > LOAD_BLOCKS_MAX) {
    throw gpLimit(`${encoded.length} bytes in blocks of ${blockBytesMax} need ${count} LOAD commands; P2 numbers at most ${LOAD_BLOCKS_MAX}`);
  }
  const blocks: LoadCommandBlock[] = [];
  for (let index = 0; index < count; index++) {
    const data = encoded.slice(index * blockBytesMax, (index + 1) * blockBytesMax);
    blocks.push({ p1: index === count - 1 ? LoadP1.lastBlock : LoadP1.moreBlocks, p2: index, data });
  }
  return blocks;
}
