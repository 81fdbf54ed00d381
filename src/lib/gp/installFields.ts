import { gpMalformed } from './gpError.js';
import { decodeInstallParameters, encodeInstallParameters } from './installParameters.js';
import type { InstallParameters } from './installParameters.js';
import { encodeBERLV, encodeLV, requireBytes } from './fields.js';
import type { FieldReader } from './fields.js';
import { INSTALL_FIELD_BYTES_MAX, PRIVILEGES_BYTES, PRIVILEGES_BYTES_LEGACY } from './limits.js';
import { canonicalPrivileges, checkPrivilegeCombination, decodePrivileges, encodePrivileges } from './privileges.js';
import type { PrivilegeName } from './privileges.js';

/**
 * The fields INSTALL variants share (GP 2.3 §11.5.2.3): privileges with their 1-byte length
 * (0, 1 or 3 bytes), and the parameters and token fields with 1-to-3-byte BER lengths.
 */

/** 0 where the variant allows "no change" (make selectable, registry update). */
export type PrivilegesLength = 0 | 1 | 3;

export function encodePrivilegesField(privileges: readonly PrivilegeName[], length: PrivilegesLength, name: string): Uint8Array {
  if (length === 0) {
    if (privileges.length !== 0) throw gpMalformed(`${name}: privileges given but privilegesLength is 0`);
    return Uint8Array.of(0);
  }
  checkPrivilegeCombination(privileges);
  return encodeLV(encodePrivileges(privileges, length), 'privileges');
}

export function readPrivilegesField(
  reader: FieldReader,
  allowEmpty: boolean,
): { privileges: PrivilegeName[]; privilegesLength: PrivilegesLength } {
  const bytes = reader.readLV('privileges', PRIVILEGES_BYTES);
  if (bytes.length === 0 && allowEmpty) return { privileges: [], privilegesLength: 0 };
  if (bytes.length !== PRIVILEGES_BYTES && bytes.length !== PRIVILEGES_BYTES_LEGACY) {
    throw gpMalformed(`expected privileges of ${allowEmpty ? '0, ' : ''}1 or 3 bytes, received ${bytes.length}`);
  }
  const privileges = decodePrivileges(bytes);
  checkPrivilegeCombination(privileges);
  return { privileges, privilegesLength: bytes.length === PRIVILEGES_BYTES ? 3 : 1 };
}

export function encodeParametersField(parameters: InstallParameters, name: string): Uint8Array {
  return encodeBERLV(encodeInstallParameters(parameters), name);
}

export function readParametersField(reader: FieldReader, name: string): InstallParameters {
  return decodeInstallParameters(reader.readBERLV(name, INSTALL_FIELD_BYTES_MAX));
}

export function encodeTokenField(token: Uint8Array, name: string): Uint8Array {
  return encodeBERLV(requireBytes(token, name), name);
}

export function readTokenField(reader: FieldReader, name: string): Uint8Array {
  return reader.readBERLV(name, INSTALL_FIELD_BYTES_MAX);
}

export function checkPrivilegesInput(privileges: readonly PrivilegeName[]): readonly PrivilegeName[] {
  return canonicalPrivileges(privileges);
}
