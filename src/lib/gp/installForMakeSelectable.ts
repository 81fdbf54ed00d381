import { concatBytes } from '../bytes.js';
import { FieldReader, encodeLV, requireAID } from './fields.js';
import {
  checkPrivilegesInput, encodeParametersField, encodePrivilegesField, encodeTokenField, readParametersField,
  readPrivilegesField, readTokenField,
} from './installFields.js';
import type { PrivilegesLength } from './installFields.js';
import type { InstallParameters } from './installParameters.js';
import { AID_BYTES_MAX } from './limits.js';
import type { PrivilegeName } from './privileges.js';

/**
 * INSTALL [for make selectable] data field (GP 2.3 §11.5.2.3.3, P1 '08'):
 *
 *   00  (no Executable Load File AID)
 *   00  (no Executable Module AID)
 *   La  Application AID (5-16)
 *   Lp  Privileges (0, 1 or 3 bytes)
 *   Li  Make Selectable Parameters (BER length; 'EF' { 'CF' implicit selection } for instance)
 *   Lt  Make Selectable Token (BER length)
 */
export interface InstallForMakeSelectable {
  readonly kind: 'make-selectable';
  readonly applicationAID: Uint8Array;
  readonly privileges: readonly PrivilegeName[];
  readonly privilegesLength: PrivilegesLength;
  readonly parameters: InstallParameters;
  readonly token: Uint8Array;
}

const WHAT = 'INSTALL [for make selectable]';

export function encodeInstallForMakeSelectable(command: Omit<InstallForMakeSelectable, 'kind'>): Uint8Array {
  return concatBytes(
    Uint8Array.of(0, 0),
    encodeLV(requireAID(command.applicationAID, 'Application AID'), 'Application AID'),
    encodePrivilegesField(checkPrivilegesInput(command.privileges), command.privilegesLength, WHAT),
    encodeParametersField(command.parameters, 'Make Selectable Parameters'),
    encodeTokenField(command.token, 'Make Selectable Token'),
  );
}

export function decodeInstallForMakeSelectable(received: Uint8Array): InstallForMakeSelectable {
  const reader = new FieldReader(received, WHAT);
  reader.readEmpty('Executable Load File AID');
  reader.readEmpty('Executable Module AID');
  const applicationAID = requireAID(reader.readLV('Application AID', AID_BYTES_MAX), 'Application AID');
  const { privileges, privilegesLength } = readPrivilegesField(reader, true);
  const parameters = readParametersField(reader, 'Make Selectable Parameters');
  const token = readTokenField(reader, 'Make Selectable Token');
  reader.expectEnd();
  return { kind: 'make-selectable', applicationAID, privileges, privilegesLength, parameters, token };
}
