import { enrolCustomer } from './customers.js';
import { createPartnerClient } from './merchantClient.js';
import { onboardBank, onboardMerchant } from './partners.js';
import type { GatewayPki } from './pki.js';
import type { RunningGateway } from './server.js';

export interface GatewayDemoInput {
  readonly pki: GatewayPki;
  /** The demo merchant at the acquirer: field 42 and a terminal flagged card-not-present (bank's enableCardNotPresent). */
  readonly acquirerMerchantId: string;
  readonly acquirerTerminalId: string;
  readonly merchantName?: string;
  readonly currency?: string;
  /** The demo customer: a bank card (token PAN + expiry) and a phone registered at the SMSC. */
  readonly customer: { identityCode: string; password: string; msisdn: string; pan: string; expiry: string; perPaymentLimitMinor?: bigint; dailyLimitMinor?: bigint };
}

export interface GatewayDemo {
  readonly merchantId: string;
  readonly merchantCredential: { certificatePEM: string; privateKeyPEM: string };
  readonly webhookSecret: string;
  readonly bankCredential: { certificatePEM: string; privateKeyPEM: string };
  readonly shopUrl: string;
}

/**
 * Gateway-side demo set-up for `tessera up`: onboards the demo merchant ("demo-shop") and a bank
 * partner ("demo-bank"), enrols the demo customer, and points /shop at the merchant's certificate.
 * Not idempotent: run it on a fresh gateway schema (or catch ERR_GATEWAY_CONFLICT).
 */
export async function setupGatewayDemo(gateway: RunningGateway, input: GatewayDemoInput): Promise<GatewayDemo> {
  const merchantName = input.merchantName ?? 'Tessera Tea House';
  const currency = input.currency ?? 'CNY';
  const merchant = await onboardMerchant(gateway.context, input.pki, {
    id: 'demo-shop', name: merchantName, acquirerMerchantId: input.acquirerMerchantId, acquirerTerminalId: input.acquirerTerminalId,
  });
  const bank = await onboardBank(gateway.context, input.pki, { id: 'demo-bank', name: 'Tessera Bank' });
  await enrolCustomer(gateway.context, {
    identityCode: input.customer.identityCode, password: input.customer.password, phones: [input.customer.msisdn],
    cards: [{ pan: input.customer.pan, expiry: input.customer.expiry }], currency,
    perPaymentLimitMinor: input.customer.perPaymentLimitMinor ?? 500_00n, dailyLimitMinor: input.customer.dailyLimitMinor ?? 2_000_00n,
  });
  gateway.configureShop({
    merchantName, currency, webhookSecret: merchant.webhookSecret ?? '',
    client: createPartnerClient({ baseUrl: gateway.partnerUrl, caCertificatePEM: input.pki.caCertificatePEM, ...merchant.credential }),
  });
  await gateway.deliverNotifications();
  return {
    merchantId: merchant.id, merchantCredential: merchant.credential, webhookSecret: merchant.webhookSecret ?? '', bankCredential: bank.credential,
    shopUrl: `${gateway.publicUrl}/shop`,
  };
}
