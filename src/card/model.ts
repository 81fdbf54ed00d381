import type { PrivilegeName } from '../lib/gp/index.js';

/**
 * The card's persistent state: everything a real card keeps in EEPROM/flash. It is plain data so
 * that a command can work on a copy and commit it whole (GlobalPlatform's atomicity of persistent
 * updates: a command either completes or leaves no trace).
 */

/** Card life cycle (GP Card Specification 2.3 §5.1.1, coding in §11.1.1). */
export const CardLifeCycle = {
  opReady: 0x01,
  initialized: 0x07,
  secured: 0x0f,
  cardLocked: 0x7f,
  terminated: 0xff,
} as const;

/** Application and security domain life cycle codings (GP 2.3 §11.1.1). */
export const ApplicationLifeCycle = {
  installed: 0x03,
  selectable: 0x07,
  /** Security domains only: keys and data are in place. */
  personalized: 0x0f,
  /** Bit 8 set on top of the state the entry had when it was locked. */
  lockedBit: 0x80,
} as const;

export const EXECUTABLE_LOAD_FILE_LOADED = 0x01;

export type EntryKind = 'isd' | 'security-domain' | 'application';

/** One key of a keyset. Secret values are hex in memory; the image encrypts them (see image.ts). */
export interface StoredKey {
  readonly id: number;
  /** GP key type coding: 0x88 AES (GP 2.3 §11.1.8 / Amendment D). */
  readonly type: number;
  readonly valueHex: string;
}

/** A keyset of an SD: SCP03 static keys K-ENC (id 1), K-MAC (id 2), K-DEK (id 3) under one version. */
export interface StoredKeyset {
  readonly version: number;
  readonly keys: readonly StoredKey[];
}

export interface RegistryEntry {
  readonly aid: string;
  readonly kind: EntryKind;
  lifeCycle: number;
  /** Privileges (GP 2.3 §6.6, coded in three bytes per §11.1.2), by name in bit order. */
  privileges: PrivilegeName[];
  /** AID of the security domain this entry is associated with; the ISD is associated with itself. */
  associatedSecurityDomain: string;
  /** For applications and SDs made from a load file: which one and which module. */
  readonly loadFileAid?: string;
  readonly moduleAid?: string;
  /** Install parameters given at INSTALL [for install] (tag C9 contents), hex. */
  readonly installParametersHex?: string;
  /** Implicit selection on the basic channel at power-up (the Card Reset privilege's default app). */
  implicitlySelectable?: boolean;
}

export interface SecurityDomainData {
  readonly aid: string;
  keysets: StoredKeyset[];
  /** SCP03 sequence counter for pseudo-random card challenges (Amendment D), 3 bytes. */
  sequenceCounter: number;
  /** Key diversification data returned in INITIALIZE UPDATE (10 bytes hex). */
  readonly keyDiversificationDataHex: string;
  /** DAP verification key (SPKI DER, hex) for SDs with DAP Verification / Mandated DAP privilege. */
  dapPublicKeyHex?: string;
  /** Data stored with STORE DATA addressed to the SD itself, by tag (hex → hex). */
  storedData: Record<string, string>;
}

export interface ExecutableModule {
  readonly aid: string;
  /** The built-in applet class the card firmware instantiates for this module. */
  readonly firmwareClass: string;
  /** Install parameters used when INSTALL [for install] gives an empty 'C9', hex. */
  readonly defaultInstallParametersHex?: string;
}

export interface ExecutableLoadFile {
  readonly aid: string;
  readonly version: string;
  lifeCycle: number;
  associatedSecurityDomain: string;
  readonly modules: readonly ExecutableModule[];
  /** SHA-256 of the load file data block, hex. */
  readonly dataBlockHashHex: string;
}

/** Applet-owned persistent data: a small map of named byte strings, hex-encoded. */
export type AppletStore = Record<string, string>;

export interface CardState {
  readonly format: 'tessera-card/1';
  readonly profile: string;
  lifeCycle: number;
  /** Issuer identification number (GET DATA 42) and card image number (GET DATA 45), hex. */
  readonly iinHex: string;
  readonly cinHex: string;
  /** Card production life cycle data (GET DATA 9F7F), 42 bytes hex. */
  readonly cplcHex: string;
  /** Index of the master key the TSM uses for this card (seed 001: "master key index"). */
  readonly masterKeyIndex: number;
  /** Registry in installation order; the ISD is first. */
  registry: RegistryEntry[];
  loadFiles: ExecutableLoadFile[];
  securityDomains: SecurityDomainData[];
  applets: Record<string, AppletStore>;
}

/** A deep copy a command may change freely; committed only if the command succeeds. */
export function cloneState(state: CardState): CardState {
  return structuredClone(state);
}
