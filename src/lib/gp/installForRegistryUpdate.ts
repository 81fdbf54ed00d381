import { concatBytes } from '../bytes.js';
import { FieldReader, encodeLV, requireAIDOrEmpty } from './fields.js';
import {
  checkPrivilegesInput, encodeParametersField, encodePrivilegesField, encodeTokenField, readParametersField,
  readPrivilegesField, readTokenField,
} from './installFields.js';
import type { PrivilegesLength } from './installFields.js';
import type { InstallParameters } from './installParameters.js';
import { AID_BYTES_MAX } from './limits.js';
import type { PrivilegeName } from './privileges.js';

/**
 * INSTALL [for registry update] data field (GP 2.3 §11.5.2.3.5, P1 '40'): changes an entry's
 * associated SD, privileges or registry parameters.
 *
 *   Ls  Security Domain AID (0 or 5-16)
 *   00
 *   La  Application AID (0 or 5-16)
 *   Lp  Privileges (0: unchanged, 1 or 3)
 *   Lr  Registry Update Parameters (BER length)
 *   Lt  Registry Update Token (BER length)
 */
export interface InstallForRegistryUpdate {
  readonly kind: 'registry-update';
  readonly securityDomainAID: Uint8Array;
  readonly applicationAID: Uint8Array;
  readonly privileges: readonly PrivilegeName[];
  readonly privilegesLength: PrivilegesLength;
  readonly parameters: InstallParameters;
  readonly token: Uint8Array;
}

const WHAT = 'INSTALL [for registry update]';

export function encodeInstallForRegistryUpdate(command: Omit<InstallForRegistryUpdate, 'kind'>): Uint8Array {
  return concatBytes(
    encodeLV(requireAIDOrEmpty(command.securityDomainAID, 'Security Domain AID'), 'Security Domain AID'),
    Uint8Array.of(0),
    encodeLV(requireAIDOrEmpty(command.applicationAID, 'Application AID'), 'Application AID'),
    encodePrivilegesField(checkPrivilegesInput(command.privileges), command.privilegesLength, WHAT),
    encodeParametersField(command.parameters, 'Registry Update Parameters'),
    encodeTokenField(command.token, 'Registry Update Token'),
  );
}

export function decodeInstallForRegistryUpdate(received: Uint8Array): InstallForRegistryUpdate {
  const reader = new FieldReader(received, WHAT);
  const securityDomainAID = requireAIDOrEmpty(reader.readLV('Security Domain AID', AID_BYTES_MAX), 'Security Domain AID');
  reader.readEmpty('second field');
  const applicationAID = requireAIDOrEmpty(reader.readLV('Application AID', AID_BYTES_MAX), 'Application AID');
  const { privileges, privilegesLength } = readPrivilegesField(reader, true);
  const parameters = readParametersField(reader, 'Registry Update Parameters');
  const token = readTokenField(reader, 'Registry Update Token');
  reader.expectEnd();
  return { kind: 'registry-update', securityDomainAID, applicationAID, privileges, privilegesLength, parameters, token };
}
