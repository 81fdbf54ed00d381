import { concatBytes } from '../bytes.js';
import { FieldReader, encodeLV, isByte, requireAID } from './fields.js';
import { gpLimit, gpMalformed } from './gpError.js';
import { AID_BYTES_MAX, EXECUTABLE_MODULES_MAX, REGISTRY_ENTRIES_MAX } from './limits.js';

/**
 * GET STATUS response data in the deprecated legacy format (P2 '00', GP 2.1.1 and GP 2.3
 * §11.4.3.2), still the only one some cards speak. Per entry:
 *
 *   L AID   life cycle state (1)   privileges (1, '00' for load files)
 *   [ number of modules (1), then L AID per module ]      only for P1 '10'
 */
export interface LegacyRegistryEntry {
  readonly aid: Uint8Array;
  readonly lifeCycleState: number;
  /** The GP 2.1.1 privilege byte (decode with `decodePrivileges(Uint8Array.of(byte))`). */
  readonly privileges: number;
  /** Present exactly when the response was for P1 '10' (load files and their modules). */
  readonly executableModuleAIDs?: readonly Uint8Array[];
}

const WHAT = 'GET STATUS response (legacy format)';

export function encodeLegacyRegistryEntries(entries: readonly LegacyRegistryEntry[], withModules: boolean): Uint8Array {
  if (entries.length > REGISTRY_ENTRIES_MAX) throw gpLimit(`${WHAT}: more than ${REGISTRY_ENTRIES_MAX} entries`);
  return concatBytes(
    ...entries.map((entry) => {
      if (!isByte(entry.lifeCycleState) || !isByte(entry.privileges)) throw gpMalformed(`${WHAT}: state and privileges are one byte each`);
      const head = concatBytes(encodeLV(requireAID(entry.aid, 'entry AID'), 'AID'), Uint8Array.of(entry.lifeCycleState, entry.privileges));
      if ((entry.executableModuleAIDs !== undefined) !== withModules) {
        throw gpMalformed(`${WHAT}: module lists come with P1 '10' responses and only with them`);
      }
      if (entry.executableModuleAIDs === undefined) return head;
      if (entry.executableModuleAIDs.length > EXECUTABLE_MODULES_MAX) throw gpLimit(`${WHAT}: more than ${EXECUTABLE_MODULES_MAX} modules`);
      const modules = entry.executableModuleAIDs.map((module) => encodeLV(requireAID(module, 'module AID'), 'module AID'));
      return concatBytes(head, Uint8Array.of(entry.executableModuleAIDs.length), ...modules);
    }),
  );
}

export function decodeLegacyRegistryEntries(received: Uint8Array, withModules: boolean): LegacyRegistryEntry[] {
  const reader = new FieldReader(received, WHAT);
  const entries: LegacyRegistryEntry[] = [];
  while (reader.remaining > 0) {
    if (entries.length === REGISTRY_ENTRIES_MAX) throw gpLimit(`${WHAT}: more than ${REGISTRY_ENTRIES_MAX} entries`);
    const aid = requireAID(reader.readLV('AID', AID_BYTES_MAX), 'entry AID');
    const lifeCycleState = reader.readByte('life cycle state');
    const privileges = reader.readByte('privileges');
    if (!withModules) {
      entries.push({ aid, lifeCycleState, privileges });
      continue;
    }
    const count = reader.readByte('number of modules');
    const executableModuleAIDs: Uint8Array[] = [];
    for (let i = 0; i < count; i++) executableModuleAIDs.push(requireAID(reader.readLV('module AID', AID_BYTES_MAX), 'module AID'));
    entries.push({ aid, lifeCycleState, privileges, executableModuleAIDs });
  }
  return entries;
}
