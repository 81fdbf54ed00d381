import { inTransaction, isUniqueViolation } from '../infra/db/index.js';
import { openAESGCM, sealAESGCM } from '../lib/crypto/index.js';
import { utf8 } from '../lib/bytes.js';
import type { GatewayContext } from './context.js';
import { gatewayError, GatewayErrorCode } from './errors.js';
import { MERCHANT_CERTIFICATE_VALIDITY_DAYS } from './limits.js';
import { issuePartnerCertificate, type PemCredential } from './pki.js';
import { randomToken } from './secrets.js';
import type { PartnerRole } from './schema.js';

export const PARTNER_ID_PATTERN = /^[A-Za-z0-9_.-]{1,40}$/;

export interface PartnerOnboarding {
  readonly id: string;
  readonly credential: PemCredential;
  /** Merchants only: the webhook signing secret, shown once. */
  readonly webhookSecret?: string;
}

function sealAdditionalData(id: string): Uint8Array {
  return utf8(`tessera.gateway.webhook_secret:${id}`);
}

/**
 * Onboards a merchant: issues its mutual-TLS client certificate from the gateway CA and a webhook
 * signing secret, and records the acquirer ids (field 42, and field 41 of a terminal the acquirer
 * flagged card-not-present) the gateway debits under.
 */
export async function onboardMerchant(
  context: GatewayContext, pki: { caCertificatePEM: string; caPrivateKeyPEM: string },
  input: { id: string; name: string; acquirerMerchantId: string; acquirerTerminalId: string },
): Promise<PartnerOnboarding> {
  if (!/^[ -~]{15}$/.test(input.acquirerMerchantId)) throw gatewayError(GatewayErrorCode.invalid, 'an acquirer merchant id is 15 printable characters (field 42)');
  if (!/^[ -~]{8}$/.test(input.acquirerTerminalId)) throw gatewayError(GatewayErrorCode.invalid, 'an acquirer terminal id is 8 printable characters (field 41)');
  const webhookSecret = `whsec_${randomToken(context.random, 24)}`;
  const credential = await addPartner(context, pki, 'merchant', input, {
    acquirer_merchant_id: input.acquirerMerchantId, acquirer_terminal_id: input.acquirerTerminalId,
    webhook_secret_sealed: sealAESGCM(context.secretKey, utf8(webhookSecret), sealAdditionalData(input.id), context.random),
  });
  return { id: input.id, credential, webhookSecret };
}

/** Registers an issuing bank for the enrolment API: it gets a client certificate with role `bank`. */
export async function onboardBank(context: GatewayContext, pki: { caCertificatePEM: string; caPrivateKeyPEM: string }, input: { id: string; name: string }): Promise<PartnerOnboarding> {
  const credential = await addPartner(context, pki, 'bank', input, { acquirer_merchant_id: null, acquirer_terminal_id: null, webhook_secret_sealed: null });
  return { id: input.id, credential };
}

async function addPartner(
  context: GatewayContext, pki: { caCertificatePEM: string; caPrivateKeyPEM: string }, role: PartnerRole, input: { id: string; name: string },
  extra: { acquirer_merchant_id: string | null; acquirer_terminal_id: string | null; webhook_secret_sealed: Uint8Array | null },
): Promise<PemCredential> {
  if (!PARTNER_ID_PATTERN.test(input.id)) throw gatewayError(GatewayErrorCode.invalid, 'a partner id is 1-40 letters, digits, _ . -');
  if (input.name.length < 1 || input.name.length > 100) throw gatewayError(GatewayErrorCode.invalid, 'a name has 1 to 100 characters');
  const issued = await issuePartnerCertificate(pki, { role, id: input.id, now: new Date(context.now()), random: context.random, validityDays: MERCHANT_CERTIFICATE_VALIDITY_DAYS });
  try {
    await inTransaction(context.db, (trx) => trx.insertInto('gateway.partners').values({
      id: input.id, role, name: input.name, certificate_fingerprint: issued.fingerprint256, ...extra,
    }).execute());
  } catch (error) {
    if (isUniqueViolation(error)) throw gatewayError(GatewayErrorCode.conflict, 'a partner with that id exists');
    throw error;
  }
  return { certificatePEM: issued.certificatePEM, privateKeyPEM: issued.privateKeyPEM };
}

export interface MerchantRecord {
  readonly id: string;
  readonly name: string;
  readonly acquirerMerchantId: string;
  readonly acquirerTerminalId: string;
}

export async function findPartner(context: GatewayContext, id: string): Promise<{ id: string; role: PartnerRole; name: string; fingerprint: string } | undefined> {
  const row = await context.db.selectFrom('gateway.partners').select(['id', 'role', 'name', 'certificate_fingerprint']).where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : { id: row.id, role: row.role, name: row.name, fingerprint: row.certificate_fingerprint };
}

export async function getMerchant(context: GatewayContext, id: string): Promise<MerchantRecord> {
  const row = await context.db.selectFrom('gateway.partners').select(['id', 'name', 'acquirer_merchant_id', 'acquirer_terminal_id'])
    .where('id', '=', id).where('role', '=', 'merchant').executeTakeFirst();
  if (row === undefined || row.acquirer_merchant_id === null || row.acquirer_terminal_id === null) throw gatewayError(GatewayErrorCode.notFound, 'no such merchant');
  return { id: row.id, name: row.name, acquirerMerchantId: row.acquirer_merchant_id, acquirerTerminalId: row.acquirer_terminal_id };
}

export async function webhookSecretOf(context: GatewayContext, merchantId: string): Promise<string> {
  const row = await context.db.selectFrom('gateway.partners').select('webhook_secret_sealed').where('id', '=', merchantId).executeTakeFirst();
  if (row === undefined || row.webhook_secret_sealed === null) throw gatewayError(GatewayErrorCode.notFound, 'no such merchant');
  return new TextDecoder().decode(openAESGCM(context.secretKey, row.webhook_secret_sealed, sealAdditionalData(merchantId)));
}
