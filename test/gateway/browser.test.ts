import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { createPartnerClient, onboardMerchant, verifyWebhook } from '../../src/gateway/client.js';
import { ACQUIRER_MERCHANT_ID, ACQUIRER_TERMINAL_ID, nextCode, openGatewayHarness, PASSWORD, type Customer, type GatewayHarness } from './harness.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `Debian's Chromium is not installed at ${CHROMIUM} (apt-get install chromium)`;

describe('hosted checkout in headless Chromium: shop → pay → identity + password → SMS code → success → signed webhook', { skip }, () => {
  let harness: GatewayHarness;
  let browser: Browser;
  let customer: Customer;

  before(async () => {
    harness = await openGatewayHarness();
    customer = await harness.customer();
    // The demo shop is the merchant: its own certificate, its webhook at /shop/webhook on the public listener.
    const shop = await onboardMerchant(harness.gateway.context, harness.pki, { id: 'tea-shop', name: 'Tessera Tea House', acquirerMerchantId: ACQUIRER_MERCHANT_ID, acquirerTerminalId: ACQUIRER_TERMINAL_ID });
    harness.gateway.configureShop({
      merchantName: 'Tessera Tea House', currency: 'CNY', webhookSecret: shop.webhookSecret ?? '',
      client: createPartnerClient({ baseUrl: harness.gateway.partnerUrl, caCertificatePEM: harness.pki.caCertificatePEM, ...shop.credential }),
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  after(async () => {
    await browser?.close();
    await harness?.close();
  });

  it('walks the checkout as a customer on a phone-sized screen; the ledger is debited once', async () => {
    const before = await harness.balanceOf(customer.accountId);
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 390, height: 844 }, locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${harness.gateway.publicUrl}/shop`);
    await page.click('#buy-tea');
    await page.waitForURL(/\/pay\//);
    assert.match(await page.textContent('#amount') ?? '', /CNY 128\.00/);
    await page.fill('#identity', customer.identityCode);
    await page.fill('#password', PASSWORD);
    await page.click('#send-code');
    await page.waitForSelector('#code');
    const code = await nextCode(customer.handset);
    await page.fill('#code', code);
    await page.click('#pay');
    await page.waitForSelector('#result[data-status="succeeded"]');
    assert.equal(await harness.balanceOf(customer.accountId), before - 128_00n);

    await harness.gateway.deliverNotifications();
    const event = harness.gateway.shop.events.at(-1);
    assert.equal(event?.type, 'payment.succeeded', 'the shop verified the signed webhook');
    await page.click('#return');
    await page.waitForSelector('#order-status[data-status="succeeded"]');
    assert.equal(await harness.balanceOf(customer.accountId), before - 128_00n, 'still debited once');
    // Evaluated in the page (this project's TypeScript has no DOM types, hence the string).
    const bodyWidth = await page.evaluate<number>('document.documentElement.scrollWidth');
    assert.ok(bodyWidth <= 390, 'no horizontal scrolling on a phone');
    await context.close();
  });

  it('a merchant webhook endpoint can verify the same signature offline', async () => {
    const payment = await harness.createPayment(5_00n);
    const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'zh-CN' });
    const page = await context.newPage();
    await page.goto(payment.checkoutUrl);
    assert.match(await page.content(), /网上支付密码/, 'Accept-Language zh picks Simplified Chinese');
    await page.fill('#identity', customer.identityCode);
    await page.fill('#password', PASSWORD);
    await page.click('#send-code');
    await page.waitForSelector('#code');
    await page.fill('#code', await nextCode(customer.handset));
    await page.click('#pay');
    await page.waitForSelector('#result[data-status="succeeded"]');
    await harness.gateway.deliverNotifications();
    const delivery = harness.receiver.received.find((item) => item.body.includes(payment.id));
    assert.ok(delivery !== undefined);
    verifyWebhook({ secret: harness.webhookSecret, header: String(delivery.headers['tessera-signature']), body: delivery.body, nowS: Math.floor(Date.now() / 1000) });
    await context.close();
  });
});
