import { concatBytes } from '../bytes.js';
import { FieldReader, encodeLV, requireAID } from './fields.js';
import { gpMalformed } from './gpError.js';
import {
  checkPrivilegesInput, encodeParametersField, encodePrivilegesField, encodeTokenField, readParametersField,
  readPrivilegesField, readTokenField,
} from './installFields.js';
import type { InstallParameters } from './installParameters.js';
import { AID_BYTES_MAX } from './limits.js';
import type { PrivilegeName } from './privileges.js';

/**
 * INSTALL [for install] (P1 '04') and [for install and make selectable] (P1 '0C') data field
 * (GP 2.3 §11.5.2.3.2):
 *
 *   Lf  Executable Load File AID (5-16)
 *   Lm  Executable Module AID (5-16)
 *   La  Application AID (5-16): the new instance
 *   Lp  Privileges (1 or 3 bytes)
 *   Li  Install Parameters (BER length): 'C9' mandatory, 'EF' and others optional
 *   Lt  Install Token (BER length, Annex C.4.2)
 */
export interface InstallForInstall {
  readonly kind: 'install';
  /** P1 '0C' rather than '04'. */
  readonly makeSelectable: boolean;
  readonly loadFileAID: Uint8Array;
  readonly moduleAID: Uint8Array;
  readonly applicationAID: Uint8Array;
  /** Canonical order (see `decodePrivileges`). */
  readonly privileges: readonly PrivilegeName[];
  /** 3 (GP 2.3) or 1 (GP 2.1.1 form). */
  readonly privilegesLength: 1 | 3;
  readonly installParameters: InstallParameters;
  readonly installToken: Uint8Array;
}

const WHAT = 'INSTALL [for install]';

function requireApplicationSpecific(parameters: InstallParameters): void {
  if (parameters.applicationSpecific === undefined) {
    throw gpMalformed(`${WHAT}: the install parameters must contain 'C9' (application specific parameters)`);
  }
}

export function encodeInstallForInstall(command: Omit<InstallForInstall, 'kind' | 'makeSelectable'>): Uint8Array {
  requireApplicationSpecific(command.installParameters);
  return concatBytes(
    encodeLV(requireAID(command.loadFileAID, 'Executable Load File AID'), 'Executable Load File AID'),
    encodeLV(requireAID(command.moduleAID, 'Executable Module AID'), 'Executable Module AID'),
    encodeLV(requireAID(command.applicationAID, 'Application AID'), 'Application AID'),
    encodePrivilegesField(checkPrivilegesInput(command.privileges), command.privilegesLength, WHAT),
    encodeParametersField(command.installParameters, 'Install Parameters'),
    encodeTokenField(command.installToken, 'Install Token'),
  );
}

export function decodeInstallForInstall(received: Uint8Array, makeSelectable: boolean): InstallForInstall {
  const reader = new FieldReader(received, WHAT);
  const loadFileAID = requireAID(reader.readLV('Executable Load File AID', AID_BYTES_MAX), 'Executable Load File AID');
  const moduleAID = requireAID(reader.readLV('Executable Module AID', AID_BYTES_MAX), 'Executable Module AID');
  const applicationAID = requireAID(reader.readLV('Application AID', AID_BYTES_MAX), 'Application AID');
  const { privileges, privilegesLength } = readPrivilegesField(reader, false);
  const installParameters = readParametersField(reader, 'Install Parameters');
  const installToken = readTokenField(reader, 'Install Token');
  reader.expectEnd();
  requireApplicationSpecific(installParameters);
  return {
    kind: 'install',
    makeSelectable,
    loadFileAID,
    moduleAID,
    applicationAID,
    privileges,
    privilegesLength: privilegesLength === 3 ? 3 : 1,
    installParameters,
    installToken,
  };
}
