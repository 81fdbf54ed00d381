import { concatBytes } from '../bytes.js';
import { FieldReader, encodeLV, requireAID } from './fields.js';
import { encodeParametersField, encodeTokenField, readParametersField, readTokenField } from './installFields.js';
import type { InstallParameters } from './installParameters.js';
import { AID_BYTES_MAX } from './limits.js';

/**
 * INSTALL [for extradition] data field (GP 2.3 §11.5.2.3.4, P1 '10'): moves an application or an
 * Executable Load File to another Security Domain.
 *
 *   Ls  Security Domain AID (5-16): the new associated SD
 *   00
 *   La  Application or Executable Load File AID (5-16)
 *   00
 *   Le  Extradition Parameters (BER length)
 *   Lt  Extradition Token (BER length)
 */
export interface InstallForExtradition {
  readonly kind: 'extradition';
  readonly securityDomainAID: Uint8Array;
  /** The application or Executable Load File to extradite. */
  readonly aid: Uint8Array;
  readonly parameters: InstallParameters;
  readonly token: Uint8Array;
}

const WHAT = 'INSTALL [for extradition]';

export function encodeInstallForExtradition(command: Omit<InstallForExtradition, 'kind'>): Uint8Array {
  return concatBytes(
    encodeLV(requireAID(command.securityDomainAID, 'Security Domain AID'), 'Security Domain AID'),
    Uint8Array.of(0),
    encodeLV(requireAID(command.aid, 'Application or Executable Load File AID'), 'Application AID'),
    Uint8Array.of(0),
    encodeParametersField(command.parameters, 'Extradition Parameters'),
    encodeTokenField(command.token, 'Extradition Token'),
  );
}

export function decodeInstallForExtradition(received: Uint8Array): InstallForExtradition {
  const reader = new FieldReader(received, WHAT);
  const securityDomainAID = requireAID(reader.readLV('Security Domain AID', AID_BYTES_MAX), 'Security Domain AID');
  reader.readEmpty('second field');
  const aid = requireAID(reader.readLV('Application or Executable Load File AID', AID_BYTES_MAX), 'Application or Executable Load File AID');
  reader.readEmpty('fourth field');
  const parameters = readParametersField(reader, 'Extradition Parameters');
  const token = readTokenField(reader, 'Extradition Token');
  reader.expectEnd();
  return { kind: 'extradition', securityDomainAID, aid, parameters, token };
}
