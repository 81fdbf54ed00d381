import { toHex } from '../../lib/bytes.js';
import { StatusWord } from '../../lib/status-words.js';
import { decodeDeleteCommandData, DELETE_RESPONSE_WITHOUT_RECEIPT, DeleteP2 } from '../../lib/gp/index.js';
import type { CardState, RegistryEntry } from '../model.js';
import { findEntry } from '../registry.js';
import { fail } from '../statusError.js';
import { requireSecureChannel, type AuthenticatedCommand, type CommandResult } from '../securityDomain.js';
import { decodeOrFail, hasPrivilege, manages, requireAuthorizedManagement } from './common.js';

interface Doomed {
  readonly entries: Set<string>;
  readonly loadFiles: Set<string>;
}

/**
 * Everything that goes when `start` goes with its related objects (GP 2.3 §11.2.2.1, P2 '80'):
 * a domain takes what is associated with it; a load file takes its instances, wherever they were
 * extradited; and so on until nothing more depends on what is doomed. Iterative, bounded by the
 * registry size.
 */
function relatedClosure(state: CardState, start: Doomed): Doomed {
  const doomed: Doomed = { entries: new Set(start.entries), loadFiles: new Set(start.loadFiles) };
  let grew = true;
  while (grew) {
    grew = false;
    for (const entry of state.registry) {
      if (doomed.entries.has(entry.aid)) continue;
      const ownerDoomed = doomed.entries.has(entry.associatedSecurityDomain) && entry.associatedSecurityDomain !== entry.aid;
      const fileDoomed = entry.loadFileAid !== undefined && doomed.loadFiles.has(entry.loadFileAid);
      if (ownerDoomed || fileDoomed) {
        doomed.entries.add(entry.aid);
        grew = true;
      }
    }
    for (const file of state.loadFiles) {
      if (!doomed.loadFiles.has(file.aid) && doomed.entries.has(file.associatedSecurityDomain)) {
        doomed.loadFiles.add(file.aid);
        grew = true;
      }
    }
  }
  return doomed;
}

function remove(state: CardState, doomed: Doomed): void {
  state.registry = state.registry.filter((entry) => !doomed.entries.has(entry.aid));
  state.securityDomains = state.securityDomains.filter((domain) => !doomed.entries.has(domain.aid));
  state.loadFiles = state.loadFiles.filter((file) => !doomed.loadFiles.has(file.aid));
  for (const aid of doomed.entries) delete state.applets[aid];
}

/** Whether the addressed domain may delete something owned by `ownerAid` (GP 2.3 §11.2.1). */
function mayDelete(context: AuthenticatedCommand, global: boolean, ownerAid: string, entry?: RegistryEntry): boolean {
  if (global) return true;
  const state = context.transaction.read;
  if (entry !== undefined) return manages(state.registry, context.domain, entry);
  if (ownerAid === context.domain.aid) return true;
  const owner = findEntry(state, ownerAid);
  return owner !== undefined && manages(state.registry, context.domain, owner);
}

/**
 * DELETE (GP 2.3 §11.2): an application, a security domain or a load file; P2 '80' also deletes
 * what depends on it. Without '80', anything with dependants is refused. The ISD, selected
 * entries and anything the addressed domain does not manage are refused. Key deletion is not
 * offered: keysets are replaced with PUT KEY.
 */
export function handleDelete(context: AuthenticatedCommand): CommandResult {
  requireSecureChannel(context);
  const { command, domain } = context;
  if (command.p1 !== 0x00 && command.p1 !== 0x80) return { sw: StatusWord.incorrectP1P2 };
  if (command.p2 !== DeleteP2.object && command.p2 !== DeleteP2.objectAndRelated) return { sw: StatusWord.incorrectP1P2 };
  const request = decodeOrFail(() => decodeDeleteCommandData(command.data));
  if (request.kind === 'key') return { sw: StatusWord.functionNotSupported };
  if (request.deleteToken !== undefined) fail(StatusWord.conditionsOfUseNotSatisfied, 'delete tokens are not accepted');
  const global = domain.kind === 'isd' || hasPrivilege(domain, 'globalDelete');
  if (!global) requireAuthorizedManagement(context);
  const aid = toHex(request.aid);
  const state = context.transaction.read;

  const loadFile = state.loadFiles.find((file) => file.aid === aid);
  const entry = loadFile === undefined ? findEntry(state, aid) : undefined;
  if (loadFile === undefined && entry === undefined) return { sw: StatusWord.referencedDataNotFound };
  if (entry?.kind === 'isd') fail(StatusWord.conditionsOfUseNotSatisfied, 'the ISD cannot be deleted');
  if (!mayDelete(context, global, loadFile?.associatedSecurityDomain ?? '', entry)) fail(StatusWord.conditionsOfUseNotSatisfied, `${domain.aid} does not manage ${aid}`);

  const start: Doomed = loadFile === undefined ? { entries: new Set([aid]), loadFiles: new Set() } : { entries: new Set(), loadFiles: new Set([aid]) };
  const doomed = relatedClosure(state, start);
  const dependants = doomed.entries.size + doomed.loadFiles.size - 1;
  if (dependants > 0 && command.p2 !== DeleteP2.objectAndRelated) fail(StatusWord.conditionsOfUseNotSatisfied, `${aid} has dependants`);
  if ([...doomed.entries].some((candidate) => context.isSelectedAnywhere(candidate))) fail(StatusWord.conditionsOfUseNotSatisfied, 'selected content');
  if (doomed.entries.has(context.domain.aid)) fail(StatusWord.conditionsOfUseNotSatisfied, 'a domain cannot delete itself');
  remove(context.transaction.write(), doomed);
  return { data: DELETE_RESPONSE_WITHOUT_RECEIPT, sw: StatusWord.noError };
}
