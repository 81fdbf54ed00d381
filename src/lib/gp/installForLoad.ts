import { concatBytes } from '../bytes.js';
import { FieldReader, encodeLV, requireAID, requireAIDOrEmpty, requireLengthAtMost } from './fields.js';
import { gpMalformed } from './gpError.js';
import { encodeParametersField, encodeTokenField, readParametersField, readTokenField } from './installFields.js';
import type { InstallParameters } from './installParameters.js';
import { AID_BYTES_MAX, LOAD_FILE_DATA_BLOCK_HASH_BYTES_MAX } from './limits.js';

/**
 * INSTALL [for load] data field (GP 2.3 §11.5.2.3.1, P1 '02'):
 *
 *   Lf  Load File AID (5-16)
 *   Ls  Security Domain AID (0: the SD receiving the command, or 5-16)
 *   Lh  Load File Data Block Hash (0 or the hash, Annex C.2)
 *   Lp  Load Parameters (BER length, Table 11-48)
 *   Lt  Load Token (BER length, Annex C.4.1)
 *
 * A Load Token signs the hash, so a token without a hash is malformed.
 */
export interface InstallForLoad {
  readonly kind: 'load';
  readonly loadFileAID: Uint8Array;
  /** Empty: the Security Domain the command is sent to. */
  readonly securityDomainAID: Uint8Array;
  /** Empty when no hash is sent. */
  readonly loadFileDataBlockHash: Uint8Array;
  readonly loadParameters: InstallParameters;
  /** Empty when no token is sent. */
  readonly loadToken: Uint8Array;
}

const WHAT = 'INSTALL [for load]';

function checkTokenNeedsHash(hash: Uint8Array, token: Uint8Array): void {
  if (token.length > 0 && hash.length === 0) throw gpMalformed(`${WHAT}: a Load Token needs the Load File Data Block Hash`);
}

export function encodeInstallForLoad(command: Omit<InstallForLoad, 'kind'>): Uint8Array {
  const hash = requireLengthAtMost(command.loadFileDataBlockHash, LOAD_FILE_DATA_BLOCK_HASH_BYTES_MAX, 'Load File Data Block Hash');
  checkTokenNeedsHash(hash, command.loadToken);
  return concatBytes(
    encodeLV(requireAID(command.loadFileAID, 'Load File AID'), 'Load File AID'),
    encodeLV(requireAIDOrEmpty(command.securityDomainAID, 'Security Domain AID'), 'Security Domain AID'),
    encodeLV(hash, 'Load File Data Block Hash'),
    encodeParametersField(command.loadParameters, 'Load Parameters'),
    encodeTokenField(command.loadToken, 'Load Token'),
  );
}

export function decodeInstallForLoad(received: Uint8Array): InstallForLoad {
  const reader = new FieldReader(received, WHAT);
  const loadFileAID = requireAID(reader.readLV('Load File AID', AID_BYTES_MAX), 'Load File AID');
  const securityDomainAID = requireAIDOrEmpty(reader.readLV('Security Domain AID', AID_BYTES_MAX), 'Security Domain AID');
  const loadFileDataBlockHash = reader.readLV('Load File Data Block Hash', LOAD_FILE_DATA_BLOCK_HASH_BYTES_MAX);
  const loadParameters = readParametersField(reader, 'Load Parameters');
  const loadToken = readTokenField(reader, 'Load Token');
  reader.expectEnd();
  checkTokenNeedsHash(loadFileDataBlockHash, loadToken);
  return { kind: 'load', loadFileAID, securityDomainAID, loadFileDataBlockHash, loadParameters, loadToken };
}
