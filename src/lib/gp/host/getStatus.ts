import { concatBytes } from '../../bytes.js';
import type { CommandAPDU } from '../../apdu.js';
import { GetStatusP1, GetStatusP2, GPInstruction } from '../constants.js';
import { encodeGetStatusCriteria } from '../getStatusCriteria.js';
import { decodeLegacyRegistryEntries } from '../legacyRegistryEntry.js';
import { GET_STATUS_RESPONSE_BYTES_MAX } from '../limits.js';
import { decodeRegistryEntries } from '../registryEntry.js';
import { gpStatusError } from './errors.js';
import type { GPExchange } from './exchange.js';
import { GET_STATUS_PAGES_MAX } from './limits.js';
import { managedEntryFromLegacy, managedEntryFromTagList, type ManagedEntry, type RegistryScope } from './registry.js';

/**
 * GET STATUS (GP 2.3 §11.4): reads one part of the registry, page after page. A response ending
 * in 6310 means more entries follow: the host repeats the command with P2 b1 "next occurrence"
 * (§11.4.2.1) until 9000. 6A88 means no entry matches, which is an empty list, not an error.
 */

export type GetStatusFormat = 'tag-list' | 'legacy';

const SW_NO_ERROR = 0x9000;
const SW_MORE_DATA = 0x6310;
const SW_REFERENCED_DATA_NOT_FOUND = 0x6a88;

const P1_OF_SCOPE: Readonly<Record<RegistryScope, number>> = {
  'issuer-security-domain': GetStatusP1.issuerSecurityDomain,
  'applications': GetStatusP1.applicationsAndSecurityDomains,
  'load-files': GetStatusP1.executableLoadFilesAndModules,
};

export interface GetStatusRequest {
  readonly scope: RegistryScope;
  readonly format: GetStatusFormat;
  /** P1 '20' instead of '10' for load files: without their modules (for cards that refuse '10'). */
  readonly withoutModules?: boolean;
  /** An AID prefix; empty (the default) lists every entry. */
  readonly aidQualifier?: Uint8Array;
}

function p1Of(request: GetStatusRequest): number {
  if (request.scope === 'load-files' && request.withoutModules === true) return GetStatusP1.executableLoadFiles;
  return P1_OF_SCOPE[request.scope];
}

/** The raw response data of every page, concatenated; undefined when the card refused the P1-P2 (6A86). */
export async function readGetStatusPages(exchange: GPExchange, cla: number, request: GetStatusRequest): Promise<Uint8Array | undefined> {
  const p1 = p1Of(request);
  const firstP2 = request.format === 'tag-list' ? GetStatusP2.tagListFormat : GetStatusP2.legacyFormat;
  const data = encodeGetStatusCriteria({ aidQualifier: request.aidQualifier ?? new Uint8Array(0), other: [] });
  const pages: Uint8Array[] = [];
  for (let page = 0; page < GET_STATUS_PAGES_MAX; page++) {
    const p2 = page === 0 ? firstP2 : firstP2 | GetStatusP2.nextOccurrence;
    const command: CommandAPDU = { cla, ins: GPInstruction.getStatus, p1, p2, data, le: GET_STATUS_RESPONSE_BYTES_MAX };
    const response = await exchange(command);
    if (page === 0 && response.sw === 0x6a86) return undefined;
    if (page === 0 && response.sw === SW_REFERENCED_DATA_NOT_FOUND) return new Uint8Array(0);
    if (response.sw !== SW_NO_ERROR && response.sw !== SW_MORE_DATA) throw gpStatusError(`GET STATUS P1 ${hexByte(p1)}`, response.sw);
    pages.push(response.data);
    if (response.sw === SW_NO_ERROR) return concatBytes(...pages);
  }
  throw gpStatusError(`GET STATUS P1 ${hexByte(p1)} (still 6310 after ${GET_STATUS_PAGES_MAX} pages)`, SW_MORE_DATA);
}

export function decodeGetStatusPages(request: GetStatusRequest, data: Uint8Array): ManagedEntry[] {
  if (request.format === 'tag-list') return decodeRegistryEntries(data).map((entry) => managedEntryFromTagList(request.scope, entry));
  const withModules = request.scope === 'load-files' && request.withoutModules !== true;
  return decodeLegacyRegistryEntries(data, withModules).map((entry) => managedEntryFromLegacy(request.scope, entry));
}

function hexByte(value: number): string {
  return value.toString(16).toUpperCase().padStart(2, '0');
}
