import { toHex } from '../../lib/bytes.js';
import { StatusWord } from '../../lib/status-words.js';
import { decodePutKeyData, encodePutKeyResponse, KeyType, PutKeyP1, PutKeyP2 } from '../../lib/gp/index.js';
import { computeAESKeyCheckValue, decryptKeyWithDEK } from '../../lib/scp03/index.js';
import { constantTimeEqual } from '../../lib/bytes.js';
import type { StoredKey } from '../model.js';
import { securityDomainData } from '../registry.js';
import { fail } from '../statusError.js';
import { requireSecureChannel, type AuthenticatedCommand, type CommandResult } from '../securityDomain.js';
import { decodeOrFail } from './common.js';

/** Keysets one security domain keeps at most (GP 2.3 allows versions '01'-'7F'; real cards keep a few). */
export const KEYSETS_PER_DOMAIN_MAX = 4;
/** SCP03 keys per keyset: K-ENC (1), K-MAC (2), K-DEK (3). */
const SCP03_KEY_IDS = [1, 2, 3] as const;

/**
 * PUT KEY (GP 2.3 §11.8, Amendment D §7.2): add a keyset (P1 '00') or replace one (P1 = its
 * version) for the addressed security domain. New AES keys arrive encrypted under the static
 * K-DEK of the keyset the secure channel was opened with, each with a key check value the card
 * verifies. The answer is the new version and the check values.
 */
export function handlePutKey(context: AuthenticatedCommand): CommandResult {
  requireSecureChannel(context);
  const { command, domain, secureChannel } = context;
  if (secureChannel === undefined) fail(StatusWord.securityStatusNotSatisfied, 'no secure channel');
  if ((command.p1 & PutKeyP1.moreCommands) !== 0) return { sw: StatusWord.incorrectP1P2 };
  const replaceVersion = command.p1 & PutKeyP1.keyVersionMask;
  const firstKeyId = command.p2 & PutKeyP2.keyIdentifierMask;
  if (firstKeyId !== 1 || (command.p2 & PutKeyP2.multipleKeys) === 0) return { sw: StatusWord.incorrectP1P2 };
  const request = decodeOrFail(() => decodePutKeyData(command.data));
  if (request.keys.length !== SCP03_KEY_IDS.length) fail(StatusWord.incorrectData, 'an SCP03 keyset is three AES keys');

  const dek = secureChannel.staticDEK;

  const keys: StoredKey[] = [];
  const checkValues: Uint8Array[] = [];
  request.keys.forEach((component, index) => {
    if (component.keyType !== KeyType.AES) fail(StatusWord.algorithmNotSupported, 'only AES keys');
    let key: Uint8Array;
    try {
      key = decryptKeyWithDEK(dek, component.keyData);
    } catch {
      fail(StatusWord.incorrectData, 'key data does not decrypt to an AES key');
    }
    const checkValue = computeAESKeyCheckValue(key);
    if (component.keyCheckValue.length > 0 && !constantTimeEqual(checkValue, component.keyCheckValue)) {
      fail(StatusWord.invalidKeyCheckValue, 'key check value differs');
    }
    keys.push({ id: SCP03_KEY_IDS[index] as number, type: KeyType.AES, valueHex: toHex(key) });
    checkValues.push(checkValue);
  });
  const lengths = new Set(keys.map((key) => key.valueHex.length));
  if (lengths.size !== 1) fail(StatusWord.incorrectData, 'the keys of a keyset have one length');

  const newVersion = request.keyVersionNumber;
  const writable = securityDomainData(context.transaction.write(), domain.aid);
  if (writable === undefined) fail(StatusWord.referencedDataNotFound, 'no keys for this domain');
  if (replaceVersion === 0) {
    if (writable.keysets.some((keyset) => keyset.version === newVersion)) fail(StatusWord.incorrectData, `keyset ${newVersion} exists`);
    if (writable.keysets.length >= KEYSETS_PER_DOMAIN_MAX) fail(StatusWord.notEnoughMemory, 'no room for another keyset');
    writable.keysets.push({ version: newVersion, keys });
  } else {
    const index = writable.keysets.findIndex((keyset) => keyset.version === replaceVersion);
    if (index < 0) fail(StatusWord.referencedDataNotFound, `no keyset ${replaceVersion}`);
    if (newVersion !== replaceVersion && writable.keysets.some((keyset) => keyset.version === newVersion)) fail(StatusWord.incorrectData, `keyset ${newVersion} exists`);
    writable.keysets[index] = { version: newVersion, keys };
  }
  return { data: encodePutKeyResponse({ keyVersionNumber: newVersion, keyCheckValues: checkValues }), sw: StatusWord.noError };
}
