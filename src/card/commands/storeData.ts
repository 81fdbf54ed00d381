import { createPublicKey } from 'node:crypto';
import { toHex } from '../../lib/bytes.js';
import { decodeTLV } from '../../lib/tlv/index.js';
import { StatusWord } from '../../lib/status-words.js';
import { findEntry, securityDomainData } from '../registry.js';
import { fail } from '../statusError.js';
import { requireSecureChannel, type AuthenticatedCommand, type CommandResult } from '../securityDomain.js';
import { decodeOrFail, hasPrivilege } from './common.js';

/**
 * Tessera's data object for a security domain's DAP verification key: the public key as DER
 * SubjectPublicKeyInfo (P-256 ECDSA or RSA). Private-class tag, documented in docs/card.md.
 */
export const DAP_PUBLIC_KEY_TAG = 0xdf70;
/** Data objects one security domain keeps from STORE DATA. */
export const STORED_DATA_OBJECTS_MAX = 32;
const STORE_DATA_LAST_BLOCK = 0x80;
const STORE_DATA_BER_TLV = 0x10;

/**
 * STORE DATA (GP 2.3 §11.11): after INSTALL [for personalization] the data goes to that
 * application's `personalize`; otherwise it is BER-TLV data for the addressed security domain
 * itself. Blocks are numbered from 0 in P2 (checked), the last has P1 b8 set.
 */
export function handleStoreData(context: AuthenticatedCommand): CommandResult {
  requireSecureChannel(context);
  const { command, secureChannel } = context;
  if (secureChannel === undefined) fail(StatusWord.securityStatusNotSatisfied, 'no secure channel');
  const expectedBlock = secureChannel.storeDataNextBlock ?? 0;
  if (command.p2 !== expectedBlock) {
    secureChannel.storeDataNextBlock = undefined;
    return { sw: StatusWord.incorrectP1P2 };
  }
  secureChannel.storeDataNextBlock = (command.p1 & STORE_DATA_LAST_BLOCK) !== 0 ? undefined : expectedBlock + 1;

  const target = secureChannel.personalizationTarget;
  if (target !== undefined) {
    const entry = findEntry(context.transaction.read, target);
    if (entry === undefined) fail(StatusWord.referencedDataNotFound, 'the application being personalized is gone');
    const sw = context.appletFor(entry).personalize?.(command.data, context.appletContext(entry)) ?? StatusWord.functionNotSupported;
    return { sw };
  }

  if ((command.p1 & 0x18) !== STORE_DATA_BER_TLV) return { sw: StatusWord.incorrectP1P2 };
  const nodes = decodeOrFail(() => decodeTLV(command.data));
  const domainData = securityDomainData(context.transaction.write(), context.domain.aid);
  if (domainData === undefined) fail(StatusWord.referencedDataNotFound, 'no data for this domain');
  for (const node of nodes) {
    if (node.tag === DAP_PUBLIC_KEY_TAG) {
      if (!hasPrivilege(context.domain, 'dapVerification') && !hasPrivilege(context.domain, 'mandatedDAPVerification')) {
        fail(StatusWord.conditionsOfUseNotSatisfied, 'this domain does not verify DAPs');
      }
      try {
        createPublicKey({ key: Buffer.from(node.value), format: 'der', type: 'spki' });
      } catch {
        fail(StatusWord.incorrectData, 'not a DER SubjectPublicKeyInfo');
      }
      domainData.dapPublicKeyHex = toHex(node.value);
      continue;
    }
    const tag = node.tag.toString(16).toUpperCase();
    if (!(tag in domainData.storedData) && Object.keys(domainData.storedData).length >= STORED_DATA_OBJECTS_MAX) {
      fail(StatusWord.notEnoughMemory, 'too many data objects');
    }
    domainData.storedData[tag] = toHex(node.value);
  }
  return { sw: StatusWord.noError };
}
