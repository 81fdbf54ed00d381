import type { Kysely } from 'kysely';
import { toHex } from '../lib/bytes.js';
import type { RandomSource } from '../lib/crypto/index.js';
import { inTransaction, isUniqueViolation } from '../infra/db/index.js';
import { smscError, SmscErrorCode } from './errors.js';
import type { SmscDatabase } from './schema.js';
import { decoyHash, hashSecret, verifySecret } from './secrets.js';

/** SMPP 3.4 §4.1.1: system_id ≤ 16 octets and password ≤ 9 octets, both with the terminating NUL. */
export const SYSTEM_ID_PATTERN = /^[A-Za-z0-9_.-]{1,15}$/;
export const PASSWORD_CHARS_MAX = 8;
export const ADDRESS_PATTERN = /^[A-Za-z0-9]{1,20}$/;
export const MSISDN_PATTERN = /^[0-9]{5,15}$/;
/** A generated handset secret: 16 random bytes as hex. */
const HANDSET_SECRET_BYTES = 16;
const HANDSET_SECRET_CHARS_MAX = 128;

/** An MSISDN as the SMSC keys it: digits only, a leading '+' dropped; undefined when it is not one. */
export function normalizeMSISDN(value: string): string | undefined {
  const digits = value.startsWith('+') ? value.slice(1) : value;
  return MSISDN_PATTERN.test(digits) ? digits : undefined;
}

export interface ESMEAccountInput {
  readonly systemId: string;
  readonly password: string;
  /** Short codes or sender ids this ESME owns (its source addresses; MO traffic to them is routed to it). */
  readonly addresses?: readonly string[];
  /** Set the password and add the addresses when the account exists (a start that re-provisions). */
  readonly replace?: boolean;
}

/** Creates an application account (an ESME) for the SMPP server. */
export async function createESMEAccount(db: Kysely<SmscDatabase>, input: ESMEAccountInput, random: RandomSource): Promise<void> {
  if (!SYSTEM_ID_PATTERN.test(input.systemId)) throw smscError(SmscErrorCode.invalid, 'system_id must be 1-15 letters, digits, or . _ -');
  if (input.password.length < 1 || input.password.length > PASSWORD_CHARS_MAX || !/^[\x21-\x7E]+$/.test(input.password)) {
    throw smscError(SmscErrorCode.invalid, `an SMPP password is 1-${PASSWORD_CHARS_MAX} printable ASCII characters (SMPP 3.4 §4.1.1)`);
  }
  for (const address of input.addresses ?? []) {
    if (!ADDRESS_PATTERN.test(address)) throw smscError(SmscErrorCode.invalid, 'an ESME address is 1-20 letters or digits');
  }
  const passwordHash = await hashSecret(input.password, random);
  try {
    await inTransaction(db, async (trx) => {
      await trx.insertInto('smsc.esmes').values({ system_id: input.systemId, password_hash: passwordHash })
        .onConflict((oc) => (input.replace === true ? oc.column('system_id').doUpdateSet({ password_hash: passwordHash }) : oc.column('system_id').doNothing()))
        .returning('system_id').executeTakeFirstOrThrow(() => smscError(SmscErrorCode.conflict, 'that system_id is already registered'));
      for (const address of input.addresses ?? []) {
        // An address already this ESME's is fine when replacing; another ESME's never is.
        await trx.insertInto('smsc.esme_addresses').values({ address, system_id: input.systemId })
          .onConflict((oc) => oc.column('address').doUpdateSet({ system_id: input.systemId }).where('smsc.esme_addresses.system_id', '=', input.systemId))
          .returning('address').executeTakeFirstOrThrow(() => smscError(SmscErrorCode.conflict, `address ${address} belongs to another ESME`));
      }
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw smscError(SmscErrorCode.conflict, 'that system_id or address is already registered');
    throw error;
  }
}

export type ESMECheck = 'ok' | 'unknown-system-id' | 'wrong-password';

/** Checks a bind's credentials; an unknown system_id costs the same scrypt as a known one. */
export async function checkESMECredentials(db: Kysely<SmscDatabase>, systemId: string, password: string): Promise<ESMECheck> {
  const row = await db.selectFrom('smsc.esmes').select('password_hash').where('system_id', '=', systemId).executeTakeFirst();
  if (row === undefined) {
    await verifySecret(password, await decoyHash());
    return 'unknown-system-id';
  }
  return (await verifySecret(password, row.password_hash)) ? 'ok' : 'wrong-password';
}

export interface HandsetRegistration {
  readonly msisdn: string;
  /** What the handset presents in its attach frame. Shown once; the SMSC keeps only its hash. */
  readonly secret: string;
}

/** Registers a handset by MSISDN; the secret is generated unless given. `replace` sets a new secret for a known MSISDN. */
export async function registerHandset(
  db: Kysely<SmscDatabase>, input: { msisdn: string; secret?: string; replace?: boolean }, random: RandomSource,
): Promise<HandsetRegistration> {
  const msisdn = normalizeMSISDN(input.msisdn);
  if (msisdn === undefined) throw smscError(SmscErrorCode.invalid, 'an MSISDN is 5-15 digits, optionally after a +');
  const secret = input.secret ?? toHex(random.bytes(HANDSET_SECRET_BYTES));
  if (secret.length < 1 || secret.length > HANDSET_SECRET_CHARS_MAX) throw smscError(SmscErrorCode.invalid, `a handset secret is 1-${HANDSET_SECRET_CHARS_MAX} characters`);
  const secretHash = await hashSecret(secret, random);
  try {
    await db.insertInto('smsc.handsets').values({ msisdn, secret_hash: secretHash, last_attached_at: null })
      .onConflict((oc) => (input.replace === true ? oc.column('msisdn').doUpdateSet({ secret_hash: secretHash }) : oc.column('msisdn').doNothing()))
      .returning('msisdn').executeTakeFirstOrThrow(() => smscError(SmscErrorCode.conflict, 'that MSISDN is already registered'));
  } catch (error) {
    if (isUniqueViolation(error)) throw smscError(SmscErrorCode.conflict, 'that MSISDN is already registered');
    throw error;
  }
  return { msisdn, secret };
}

/** True when `secret` is the registered handset's; unknown MSISDNs cost the same. */
export async function checkHandsetSecret(db: Kysely<SmscDatabase>, msisdn: string, secret: string): Promise<boolean> {
  const row = await db.selectFrom('smsc.handsets').select('secret_hash').where('msisdn', '=', msisdn).executeTakeFirst();
  if (row === undefined) {
    await verifySecret(secret, await decoyHash());
    return false;
  }
  return verifySecret(secret, row.secret_hash);
}

/** The ESME that owns `address`, if any (routing of mobile-originated messages). */
export async function esmeOwning(db: Kysely<SmscDatabase>, address: string): Promise<string | undefined> {
  const row = await db.selectFrom('smsc.esme_addresses').select('system_id').where('address', '=', address).executeTakeFirst();
  return row?.system_id;
}

export async function addressesOf(db: Kysely<SmscDatabase>, systemId: string): Promise<string[]> {
  const rows = await db.selectFrom('smsc.esme_addresses').select('address').where('system_id', '=', systemId).orderBy('address').execute();
  return rows.map((row) => row.address);
}
