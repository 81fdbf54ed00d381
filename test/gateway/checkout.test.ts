import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createGatewayPki, issuePartnerCertificate, listTransitions, verifyWebhook } from '../../src/gateway/client.js';
import { createSystemRandomSource } from '../../src/lib/crypto/index.js';
import { FormBrowser, nextCode, openGatewayHarness, PASSWORD, type GatewayHarness } from './harness.js';

async function paymentStatus(harness: GatewayHarness, id: string): Promise<Record<string, unknown>> {
  const answer = await harness.merchant.call('GET', `/v1/payments/${id}`);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body;
}

describe('online payment gateway over real sockets: merchant API (mTLS) → checkout → SMS code (SMPP) → 0200 → webhook', () => {
  let harness: GatewayHarness;

  before(async () => {
    harness = await openGatewayHarness();
  });
  after(async () => {
    await harness.close();
  });

  it('takes a payment end to end: one debit, a signed webhook, an SMS receipt, transitions recorded, then a refund', async () => {
    const customer = await harness.customer();
    const before = await harness.balanceOf(customer.accountId);
    const payment = await harness.createPayment(128_00n);
    assert.match(payment.checkoutUrl, /^https:\/\/127\.0\.0\.1:[0-9]+\/pay\/[A-Za-z0-9_-]{43}$/);
    const replay = await harness.merchant.call('POST', '/v1/payments', {
      orderId: 'order-replay', amountMinor: '100', currency: 'CNY', description: 'x', returnUrl: 'https://shop.example/r', notifyUrl: harness.receiver.url,
    }, { 'idempotency-key': 'k-replay' });
    const again = await harness.merchant.call('POST', '/v1/payments', {
      orderId: 'order-replay', amountMinor: '100', currency: 'CNY', description: 'x', returnUrl: 'https://shop.example/r', notifyUrl: harness.receiver.url,
    }, { 'idempotency-key': 'k-replay' });
    assert.equal(again.body['id'], replay.body['id'], 'the same Idempotency-Key replays the same payment');
    assert.equal((await paymentStatus(harness, payment.id))['status'], 'created');

    const browser = new FormBrowser(harness.pki.caCertificatePEM);
    const step1 = await browser.submit(payment.checkoutUrl, '/identify', { identity: customer.identityCode, password: PASSWORD, phone: '' });
    assert.equal(step1.status, 200);
    assert.match(step1.body, /name="code"/, 'the code form is shown');
    const code = await nextCode(customer.handset);
    const step2 = await browser.submit(payment.checkoutUrl, '/code', { code });
    assert.match(step2.body, /data-status="succeeded"/);
    assert.equal(await harness.balanceOf(customer.accountId), before - 128_00n, 'debited once');

    const status = await paymentStatus(harness, payment.id);
    assert.equal(status['status'], 'succeeded');
    assert.match(String(status['bankAuthorizationCode']), /^[0-9A-Z]{6}$/);
    const transitions = await listTransitions(harness.gateway.context, payment.id);
    assert.deepEqual(transitions.map((item) => item.to), ['created', 'awaiting_code', 'authorized', 'succeeded']);

    await harness.gateway.deliverNotifications();
    const delivery = harness.receiver.received.find((item) => item.body.includes(payment.id));
    assert.ok(delivery !== undefined, 'the merchant got a webhook');
    const header = delivery.headers['tessera-signature'];
    assert.equal(typeof header, 'string');
    verifyWebhook({ secret: harness.webhookSecret, header: String(header), body: delivery.body, nowS: Math.floor(Date.now() / 1000) });
    assert.throws(() => verifyWebhook({ secret: harness.webhookSecret, header: String(header), body: delivery.body.replace('succeeded', 'failed'), nowS: Math.floor(Date.now() / 1000) }), { code: 'ERR_GATEWAY_SIGNATURE' });
    const event = JSON.parse(delivery.body) as { id: string; type: string };
    assert.equal(event.type, 'payment.succeeded');
    assert.equal(delivery.headers['tessera-event-id'], event.id);
    const receipt = await customer.handset.nextMessage(10_000);
    assert.match(receipt.text, /you paid CNY 128\.00 to Tea House/);

    const refund = await harness.merchant.call('POST', `/v1/payments/${payment.id}/refunds`, { amountMinor: '2800' }, { 'idempotency-key': 'refund-1' });
    assert.equal(refund.status, 201, JSON.stringify(refund.body));
    assert.equal(refund.body['status'], 'succeeded');
    const refundAgain = await harness.merchant.call('POST', `/v1/payments/${payment.id}/refunds`, { amountMinor: '2800' }, { 'idempotency-key': 'refund-1' });
    assert.equal(refundAgain.body['id'], refund.body['id']);
    assert.equal(await harness.balanceOf(customer.accountId), before - 100_00n, 'refunded once');
    const tooMuch = await harness.merchant.call('POST', `/v1/payments/${payment.id}/refunds`, { amountMinor: '10001' }, { 'idempotency-key': 'refund-2' });
    assert.equal((tooMuch.body['error'] as { code: string }).code, 'ERR_GATEWAY_REFUND');
    assert.equal((await harness.bank.service.audit()).balanced, true);
  });

  it('reconnects to the acquirer after the bank restarts', async () => {
    const customer = await harness.customer();
    await harness.restartBank();
    const payment = await harness.createPayment(3_00n);
    const browser = new FormBrowser(harness.pki.caCertificatePEM);
    await browser.submit(payment.checkoutUrl, '/identify', { identity: customer.identityCode, password: PASSWORD });
    const paid = await browser.submit(payment.checkoutUrl, '/code', { code: await nextCode(customer.handset) });
    assert.match(paid.body, /data-status="succeeded"/);
  });

  it('refuses a merchant without a certificate, or with one from another CA, at TLS', async () => {
    const attempt = (options: { cert?: string; key?: string }): Promise<number> => new Promise((resolve, reject) => {
      const request = httpsRequest(`${harness.gateway.partnerUrl}/v1/payments`, { method: 'GET', ca: harness.pki.caCertificatePEM, ...options }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', reject);
      request.end();
    });
    await assert.rejects(attempt({}), 'no certificate: the handshake fails');
    const stranger = await createGatewayPki({ now: new Date(), random: createSystemRandomSource() });
    const foreign = await issuePartnerCertificate(stranger, { role: 'merchant', id: 'shop-1', now: new Date(), random: createSystemRandomSource(), validityDays: 30 });
    await assert.rejects(attempt({ cert: foreign.certificatePEM, key: foreign.privateKeyPEM }), 'a look-alike certificate from another CA fails too');
  });

  it('refuses the bank API to a merchant certificate and the merchant API to a bank certificate', async () => {
    const asMerchant = await harness.merchant.call('POST', '/v1/customers/custnobody/changes', { status: 'canceled' }, { 'idempotency-key': 'x' });
    assert.equal(asMerchant.status, 403);
    const asBank = await harness.bankPartner.call('GET', '/v1/payments/00000000-0000-4000-8000-000000000000');
    assert.equal(asBank.status, 403);
    const openapi = await harness.merchant.call('GET', '/docs/json');
    assert.equal(openapi.status, 200);
    assert.ok(Object.keys(openapi.body['paths'] as Record<string, unknown>).includes('/v1/payments/{id}/refunds'), 'OpenAPI lists the partner API');
  });

  it('enrols a customer through the bank API and confirms by SMS', async () => {
    const enrolled = await harness.bankPartner.call('POST', '/v1/customers', {
      password: 'jasmine-tea-7', phones: ['8613700000001'], cards: [{ pan: '4761739999999996', expiry: '2812' }], perPaymentLimitMinor: '10000', dailyLimitMinor: '50000', currency: 'CNY',
    }, { 'idempotency-key': 'enrol-1' });
    assert.equal(enrolled.status, 201, JSON.stringify(enrolled.body));
    assert.match(String(enrolled.body['identityCode']), /^T[0-9]{9}$/);
    const replayed = await harness.bankPartner.call('POST', '/v1/customers', {
      password: 'jasmine-tea-7', phones: ['8613700000001'], cards: [{ pan: '4761739999999996', expiry: '2812' }], perPaymentLimitMinor: '10000', dailyLimitMinor: '50000', currency: 'CNY',
    }, { 'idempotency-key': 'enrol-1' });
    assert.deepEqual(replayed.body, enrolled.body, 'a retried enrolment replays');
    const keys = (await sql`select * from gateway.idempotency_keys`.execute(harness.database.db)).rows;
    assert.ok(!JSON.stringify(keys).includes('jasmine'), 'the password is not stored with the idempotency key');
    const pin = await harness.bankPartner.call('POST', '/v1/customers', {
      password: '123456', phones: ['8613700000002'], cards: [{ pan: '4761739999999988', expiry: '2812' }], perPaymentLimitMinor: '10000', dailyLimitMinor: '50000', currency: 'CNY',
    }, { 'idempotency-key': 'enrol-2' });
    assert.equal(pin.status, 400, 'a PIN-like password is refused');
    const changed = await harness.bankPartner.call('POST', `/v1/customers/${String(enrolled.body['identityCode'])}/changes`, { perPaymentLimitMinor: '20000', dailyLimitMinor: '60000' }, { 'idempotency-key': 'chg-1' });
    assert.equal(changed.status, 200);
    const queued = await harness.database.db.selectFrom('gateway.outbox').select('body').where('destination', '=', '8613700000001').execute();
    assert.equal(queued.length, 2, 'enable and limit change are confirmed by SMS');
  });
});
