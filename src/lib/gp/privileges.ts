import { gpMalformed } from './gpError.js';
import { PRIVILEGES_BYTES, PRIVILEGES_BYTES_LEGACY } from './limits.js';

/**
 * Privileges (GP 2.3 §6.6 and the coding of §11.1.2): three bytes of flags, or one byte in the
 * GP 2.1.1 form, which is byte 1 alone. Each name maps to its own bit; some privileges only mean
 * something for a Security Domain, so they require the Security Domain bit too (checked by
 * `checkPrivilegeCombination`): DAP Verification is written 'C0' and Delegated Management 'A0'
 * in byte 1, Mandated DAP Verification 'C1'.
 */

export type PrivilegeName =
  // byte 1
  | 'securityDomain'
  | 'dapVerification'
  | 'delegatedManagement'
  | 'cardLock'
  | 'cardTerminate'
  | 'cardReset'
  | 'cvmManagement'
  | 'mandatedDAPVerification'
  // byte 2
  | 'trustedPath'
  | 'authorizedManagement'
  | 'tokenVerification'
  | 'globalDelete'
  | 'globalLock'
  | 'globalRegistry'
  | 'finalApplication'
  | 'globalService'
  // byte 3
  | 'receiptGeneration'
  | 'cipheredLoadFileDataBlock'
  | 'contactlessActivation'
  | 'contactlessSelfActivation';

interface PrivilegeBit {
  readonly name: PrivilegeName;
  /** 0, 1 or 2: which of the three bytes. */
  readonly byte: number;
  readonly mask: number;
}

/** In the order of the bits, byte 1 b8 first: the canonical order of every decoded list. */
const PRIVILEGE_BITS: readonly PrivilegeBit[] = [
  { name: 'securityDomain', byte: 0, mask: 0x80 },
  { name: 'dapVerification', byte: 0, mask: 0x40 },
  { name: 'delegatedManagement', byte: 0, mask: 0x20 },
  { name: 'cardLock', byte: 0, mask: 0x10 },
  { name: 'cardTerminate', byte: 0, mask: 0x08 },
  // "Default Selected" in GP 2.1.1.
  { name: 'cardReset', byte: 0, mask: 0x04 },
  { name: 'cvmManagement', byte: 0, mask: 0x02 },
  { name: 'mandatedDAPVerification', byte: 0, mask: 0x01 },
  { name: 'trustedPath', byte: 1, mask: 0x80 },
  { name: 'authorizedManagement', byte: 1, mask: 0x40 },
  { name: 'tokenVerification', byte: 1, mask: 0x20 },
  { name: 'globalDelete', byte: 1, mask: 0x10 },
  { name: 'globalLock', byte: 1, mask: 0x08 },
  { name: 'globalRegistry', byte: 1, mask: 0x04 },
  { name: 'finalApplication', byte: 1, mask: 0x02 },
  { name: 'globalService', byte: 1, mask: 0x01 },
  { name: 'receiptGeneration', byte: 2, mask: 0x80 },
  { name: 'cipheredLoadFileDataBlock', byte: 2, mask: 0x40 },
  { name: 'contactlessActivation', byte: 2, mask: 0x20 },
  { name: 'contactlessSelfActivation', byte: 2, mask: 0x10 },
];

/** Every privilege name, in canonical (bit) order. */
export const PRIVILEGE_NAMES: readonly PrivilegeName[] = PRIVILEGE_BITS.map((bit) => bit.name);

/** Byte 3 b4-b1 are RFU (GP 2.3 §11.1.2). */
const BYTE3_RFU_MASK = 0x0f;

/** Privileges that only a Security Domain may hold (GP 2.3 §6.6): each needs the Security Domain bit. */
const SECURITY_DOMAIN_ONLY: readonly PrivilegeName[] = [
  'dapVerification',
  'delegatedManagement',
  'mandatedDAPVerification',
  'authorizedManagement',
  'tokenVerification',
  'receiptGeneration',
  'cipheredLoadFileDataBlock',
];

const NAME_SET: ReadonlySet<string> = new Set(PRIVILEGE_NAMES);

export function isPrivilegeName(value: unknown): value is PrivilegeName {
  return typeof value === 'string' && NAME_SET.has(value);
}

/** Deduplicates and sorts into canonical order; refuses unknown names. */
export function canonicalPrivileges(names: Iterable<PrivilegeName>): PrivilegeName[] {
  const wanted = new Set<string>();
  for (const name of names) {
    if (!isPrivilegeName(name)) throw gpMalformed(`unknown privilege ${String(name)}`);
    wanted.add(name);
  }
  return PRIVILEGE_NAMES.filter((name) => wanted.has(name));
}

/**
 * Refuses combinations GP 2.3 §6.6 rules out: an application holding a Security-Domain-only
 * privilege, and Mandated DAP Verification without DAP Verification. A card answers an INSTALL
 * that asks for one with 6A80.
 */
export function checkPrivilegeCombination(names: Iterable<PrivilegeName>): void {
  const held = new Set(names);
  if (!held.has('securityDomain')) {
    for (const name of SECURITY_DOMAIN_ONLY) {
      if (held.has(name)) throw gpMalformed(`privilege ${name} is for Security Domains only and needs securityDomain`);
    }
  }
  if (held.has('mandatedDAPVerification') && !held.has('dapVerification')) {
    throw gpMalformed('privilege mandatedDAPVerification needs dapVerification');
  }
}

/**
 * Encodes privileges on 3 bytes (GP 2.3), or on 1 byte (GP 2.1.1) when asked and only byte-1
 * privileges are held. Does not check combinations: a host may need to ask a card for a
 * combination just to see it refused; call `checkPrivilegeCombination` for that.
 */
export function encodePrivileges(names: Iterable<PrivilegeName>, length: 1 | 3 = PRIVILEGES_BYTES): Uint8Array {
  const bytes = new Uint8Array(PRIVILEGES_BYTES);
  for (const name of canonicalPrivileges(names)) {
    const bit = PRIVILEGE_BITS.find((candidate) => candidate.name === name);
    if (bit === undefined) throw gpMalformed(`unknown privilege ${String(name)}`);
    bytes[bit.byte] = (bytes[bit.byte] as number) | bit.mask;
  }
  if (length === PRIVILEGES_BYTES) return bytes;
  if (length !== PRIVILEGES_BYTES_LEGACY) throw gpMalformed(`privileges are 1 or 3 bytes, not ${String(length)}`);
  if (bytes[1] !== 0 || bytes[2] !== 0) {
    throw gpMalformed('privileges of bytes 2 and 3 cannot be written in the 1-byte (GP 2.1.1) form');
  }
  return bytes.subarray(0, 1);
}

/** Decodes 1 or 3 privilege bytes into names, in canonical order. RFU bits are malformed. */
export function decodePrivileges(received: Uint8Array): PrivilegeName[] {
  if (received.length !== PRIVILEGES_BYTES && received.length !== PRIVILEGES_BYTES_LEGACY) {
    throw gpMalformed(`expected privileges of 1 or 3 bytes, received ${received.length}`);
  }
  if (received.length === PRIVILEGES_BYTES && ((received[2] as number) & BYTE3_RFU_MASK) !== 0) {
    throw gpMalformed('privilege byte 3 has RFU bits b4-b1 set');
  }
  return PRIVILEGE_BITS.filter((bit) => ((received[bit.byte] ?? 0) & bit.mask) !== 0).map((bit) => bit.name);
}
