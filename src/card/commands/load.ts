import { createPublicKey } from 'node:crypto';
import { bytesEqual, fromHex, toHex } from '../../lib/bytes.js';
import { StatusWord } from '../../lib/status-words.js';
import {
  acceptLoadBlock, decodeLoadFile, loadFileDataBlockHash, verifyDAP, type LoadData,
} from '../../lib/gp/index.js';
import { EXECUTABLE_LOAD_FILE_LOADED, type CardState, type RegistryEntry } from '../model.js';
import { securityDomainChain, securityDomainData, findEntry } from '../registry.js';
import { fail } from '../statusError.js';
import { requireSecureChannel, type AuthenticatedCommand, type CommandResult, type PendingLoad } from '../securityDomain.js';
import { decodeOrFail, hasPrivilege, NO_RECEIPT } from './common.js';

/** Load files a card holds at most. */
export const LOAD_FILES_MAX = 32;

/**
 * The domains whose DAP must be present and verify (GP 2.3 §9.2.3): the domain the load file
 * will belong to and those above it when they hold DAP Verification, and every domain on the
 * card with Mandated DAP Verification.
 */
function requiredDAPDomains(state: CardState, target: RegistryEntry): RegistryEntry[] {
  const required = new Map<string, RegistryEntry>();
  for (const domain of [target, ...securityDomainChain(state, target.aid)]) {
    if (hasPrivilege(domain, 'dapVerification')) required.set(domain.aid, domain);
  }
  for (const domain of state.registry) {
    if (hasPrivilege(domain, 'mandatedDAPVerification')) required.set(domain.aid, domain);
  }
  return [...required.values()];
}

/**
 * Every required DAP verifies against that domain's DAP key. One failure answer (6982) for a
 * missing block, a missing key or a bad signature: the host learns only that DAP failed.
 */
function verifyDAPs(state: CardState, target: RegistryEntry, data: LoadData, hash: Uint8Array): void {
  for (const domain of requiredDAPDomains(state, target)) {
    const block = data.dapBlocks.find((candidate) => toHex(candidate.securityDomainAID) === domain.aid);
    const keyHex = securityDomainData(state, domain.aid)?.dapPublicKeyHex;
    let verified = false;
    if (block !== undefined && keyHex !== undefined) {
      const key = createPublicKey({ key: Buffer.from(fromHex(keyHex)), format: 'der', type: 'spki' });
      verified = verifyDAP(hash, block.signature, key);
    }
    if (!verified) fail(StatusWord.securityStatusNotSatisfied, `DAP verification for ${domain.aid} failed`);
  }
}

function completeLoad(context: AuthenticatedCommand, pending: PendingLoad, data: LoadData): CommandResult {
  const state = context.transaction.read;
  const hash = loadFileDataBlockHash(data.loadFileDataBlock);
  // The hash INSTALL [for load] announced binds the LOAD to it (GP 2.3 §11.5.2.3.2).
  if (pending.expectedHashHex !== '' && !bytesEqual(fromHex(pending.expectedHashHex), hash)) {
    fail(StatusWord.securityStatusNotSatisfied, 'load file data block hash differs from INSTALL [for load]');
  }
  const target = findEntry(state, pending.targetSecurityDomain);
  if (target === undefined) fail(StatusWord.referencedDataNotFound, 'the target security domain is gone');
  verifyDAPs(state, target, data, hash);

  const loadFile = decodeOrFail(() => decodeLoadFile(data.loadFileDataBlock));
  if (toHex(loadFile.packageAID) !== pending.loadFileAid) fail(StatusWord.incorrectData, 'the package AID differs from INSTALL [for load]');
  for (const module of loadFile.modules) {
    if (!context.firmware.has(module.firmwareClass)) fail(StatusWord.incorrectData, `the firmware has no class ${module.firmwareClass}`);
    if (findEntry(state, toHex(module.aid)) !== undefined) fail(StatusWord.incorrectData, `module AID ${toHex(module.aid)} is taken`);
  }
  if (state.loadFiles.length >= LOAD_FILES_MAX) fail(StatusWord.notEnoughMemory, 'no room for another load file');
  context.transaction.write().loadFiles.push({
    aid: pending.loadFileAid,
    version: `${loadFile.version.major}.${loadFile.version.minor}`,
    lifeCycle: EXECUTABLE_LOAD_FILE_LOADED,
    associatedSecurityDomain: target.aid,
    modules: loadFile.modules.map((module) => ({
      aid: toHex(module.aid),
      firmwareClass: module.firmwareClass,
      ...(module.defaultInstallParameters === undefined ? {} : { defaultInstallParametersHex: toHex(module.defaultInstallParameters) }),
    })),
    dataBlockHashHex: toHex(hash),
  });
  return { data: NO_RECEIPT, sw: StatusWord.noError };
}

/**
 * LOAD (GP 2.3 §11.6): blocks numbered from 0 in P2, the last with P1 '80', after an INSTALL
 * [for load] on the same secure channel. The file is checked and created only when the last
 * block arrives, in one committed step: a broken sequence leaves nothing behind.
 */
export function handleLoad(context: AuthenticatedCommand): CommandResult {
  requireSecureChannel(context);
  const pending = context.secureChannel?.pendingLoad;
  if (context.secureChannel === undefined || pending === undefined) fail(StatusWord.conditionsOfUseNotSatisfied, 'LOAD without INSTALL [for load]');
  const { command } = context;
  let step;
  try {
    step = decodeOrFail(() => acceptLoadBlock(pending.progress, { p1: command.p1, p2: command.p2, data: command.data }));
  } catch (error) {
    context.secureChannel.pendingLoad = undefined;
    throw error;
  }
  if (!step.complete) {
    pending.progress = step.progress;
    return { sw: StatusWord.noError };
  }
  context.secureChannel.pendingLoad = undefined;
  return completeLoad(context, pending, step.data);
}
