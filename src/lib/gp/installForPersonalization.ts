import { concatBytes } from '../bytes.js';
import { FieldReader, encodeLV, requireAID } from './fields.js';
import { AID_BYTES_MAX } from './limits.js';

/**
 * INSTALL [for personalization] data field (GP 2.3 §11.5.2.3.6, P1 '20'): names the application
 * that the following STORE DATA commands are for. Only the third field is used:
 *
 *   00 00  La Application AID (5-16)  00 00 00
 */
export interface InstallForPersonalization {
  readonly kind: 'personalization';
  readonly applicationAID: Uint8Array;
}

const WHAT = 'INSTALL [for personalization]';

export function encodeInstallForPersonalization(command: Omit<InstallForPersonalization, 'kind'>): Uint8Array {
  return concatBytes(
    Uint8Array.of(0, 0),
    encodeLV(requireAID(command.applicationAID, 'Application AID'), 'Application AID'),
    Uint8Array.of(0, 0, 0),
  );
}

export function decodeInstallForPersonalization(received: Uint8Array): InstallForPersonalization {
  const reader = new FieldReader(received, WHAT);
  reader.readEmpty('first field');
  reader.readEmpty('second field');
  const applicationAID = requireAID(reader.readLV('Application AID', AID_BYTES_MAX), 'Application AID');
  reader.readEmpty('privileges');
  reader.readEmpty('parameters');
  reader.readEmpty('token');
  reader.expectEnd();
  return { kind: 'personalization', applicationAID };
}
