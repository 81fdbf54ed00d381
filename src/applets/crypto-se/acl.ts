import { bytesEqual } from '../../lib/bytes.js';
import { StatusWord } from '../../lib/status-words.js';
import { constructedNode, decodeTLV, encodeTLV, primitiveNode, type TLVNode } from '../../lib/tlv/index.js';
import {
  ACL_ENTRIES_MAX, AID_BYTES_MAX, AID_BYTES_MIN, CALLER_KEY_ID_BYTES_MAX, CRYPTO_SE_TAG, PERSONALIZATION_TAG,
} from './constants.js';
import { notAllowed, onlyTags, refuse, requiredValue, templateChildren } from './refusal.js';
import { STORE, type CryptoSEStore } from './store.js';

/**
 * The access-control list (seed 000 [0045]): which App SE applications — an AID together with the
 * id of the TSM key that signed the application — may ask for which operations. Entries come only
 * from personalization (STORE DATA through the TSM's secure channel).
 *
 * On a real device the Crypto SE learns which application is calling from the physical channel
 * (the App SE sits on its own SPI/SWP link, and the App SE's runtime names the calling applet).
 * The virtual device has one transport, so the caller presents the same facts in an 'E1' template
 * of the command; everything that is not in the list answers 6982.
 */

export interface Caller {
  readonly aid: Uint8Array;
  readonly keyId: Uint8Array;
}

interface ACLEntry extends Caller {
  readonly operations: number;
}

function requireIdentity(children: readonly TLVNode[]): Caller {
  const aid = requiredValue(children, CRYPTO_SE_TAG.callerAID);
  const keyId = requiredValue(children, CRYPTO_SE_TAG.callerKeyId);
  if (aid.length < AID_BYTES_MIN || aid.length > AID_BYTES_MAX) refuse(StatusWord.incorrectData, `an AID is ${AID_BYTES_MIN}-${AID_BYTES_MAX} bytes`);
  if (keyId.length < 1 || keyId.length > CALLER_KEY_ID_BYTES_MAX) refuse(StatusWord.incorrectData, `a key id is 1-${CALLER_KEY_ID_BYTES_MAX} bytes`);
  return { aid: aid.slice(), keyId: keyId.slice() };
}

/** The caller template 'E1' { '4F' AID, 'C1' key id } of a command, if present. */
export function callerOf(nodes: readonly TLVNode[]): Caller | undefined {
  const children = templateChildren(nodes, CRYPTO_SE_TAG.caller);
  if (children === undefined) return undefined;
  onlyTags(children, [CRYPTO_SE_TAG.callerAID, CRYPTO_SE_TAG.callerKeyId]);
  return requireIdentity(children);
}

function readACL(store: CryptoSEStore): ACLEntry[] {
  const stored = store.get(STORE.acl);
  if (stored === undefined || stored.length === 0) return [];
  return decodeTLV(stored).map((node) => {
    const children = node.constructed ? node.children : [];
    return { ...requireIdentity(children), operations: requiredValue(children, PERSONALIZATION_TAG.operations)[0] ?? 0 };
  });
}

function writeACL(store: CryptoSEStore, entries: readonly ACLEntry[]): void {
  store.set(STORE.acl, encodeTLV(entries.map((entry) => constructedNode(PERSONALIZATION_TAG.aclEntry, [
    primitiveNode(PERSONALIZATION_TAG.aclAID, entry.aid),
    primitiveNode(PERSONALIZATION_TAG.aclKeyId, entry.keyId),
    primitiveNode(PERSONALIZATION_TAG.operations, Uint8Array.of(entry.operations)),
  ]))));
}

const sameCaller = (a: Caller, b: Caller): boolean => bytesEqual(a.aid, b.aid) && bytesEqual(a.keyId, b.keyId);

/** The caller must be in the list with `operation` granted; anything else answers 6982. */
export function requireGranted(store: CryptoSEStore, caller: Caller | undefined, operation: number): Caller {
  if (caller === undefined) return notAllowed('no caller identity');
  const entry = readACL(store).find((candidate) => sameCaller(candidate, caller));
  if (entry === undefined || (entry.operations & operation) === 0) return notAllowed('the ACL does not grant this operation to the caller');
  return caller;
}

/** Personalization 'E2' { '4F' AID, 'C1' key id, 'C2' operations }: adds or replaces; operations 00 removes. */
export function personalizeACLEntry(store: CryptoSEStore, children: readonly TLVNode[]): void {
  onlyTags(children, [PERSONALIZATION_TAG.aclAID, PERSONALIZATION_TAG.aclKeyId, PERSONALIZATION_TAG.operations]);
  const caller = requireIdentity(children);
  const operationsField = requiredValue(children, PERSONALIZATION_TAG.operations);
  if (operationsField.length !== 1) refuse(StatusWord.incorrectData, 'operations is one byte');
  const operations = operationsField[0] ?? 0;
  const entries = readACL(store).filter((entry) => !sameCaller(entry, caller));
  if (operations !== 0) entries.push({ ...caller, operations });
  if (entries.length > ACL_ENTRIES_MAX) refuse(StatusWord.notEnoughMemory, `the ACL holds ${ACL_ENTRIES_MAX} entries`);
  writeACL(store, entries);
}
