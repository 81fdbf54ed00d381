import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FormBrowser, nextCode, openGatewayHarness, PASSWORD, type Customer, type GatewayHarness } from './harness.js';

describe('checkout security rules (negative tests, real sockets)', () => {
  let harness: GatewayHarness;

  before(async () => {
    harness = await openGatewayHarness({ otpResendIntervalMs: 0 });
  });
  after(async () => {
    await harness.close();
  });

  async function status(id: string): Promise<string> {
    const answer = await harness.merchant.call('GET', `/v1/payments/${id}`);
    return String(answer.body['status']);
  }

  async function toCodeStep(customer: Customer, amountMinor = 10_00n): Promise<{ browser: FormBrowser; payment: { id: string; checkoutUrl: string }; code: string }> {
    const payment = await harness.createPayment(amountMinor);
    const browser = new FormBrowser(harness.pki.caCertificatePEM);
    const step1 = await browser.submit(payment.checkoutUrl, '/identify', { identity: customer.identityCode, password: PASSWORD });
    assert.match(step1.body, /name="code"/, step1.body.slice(0, 2000));
    return { browser, payment, code: await nextCode(customer.handset) };
  }

  it('wrong password: refused with one message; five in a row lock the identity, even for the right password', async () => {
    const customer = await harness.customer();
    const payment = await harness.createPayment(10_00n);
    const browser = new FormBrowser(harness.pki.caCertificatePEM);
    const unknown = await browser.submit(payment.checkoutUrl, '/identify', { identity: 'nobody-here', password: PASSWORD });
    assert.match(unknown.body, /The identity code or the password is wrong/);
    for (let attempt = 1; attempt <= 4; attempt++) {
      const wrong = await browser.submit(payment.checkoutUrl, '/identify', { identity: customer.identityCode, password: 'not-my-password' });
      assert.equal(wrong.status, 422);
      assert.match(wrong.body, /The identity code or the password is wrong/, 'an unknown identity and a wrong password look alike');
    }
    const fifth = await browser.submit(payment.checkoutUrl, '/identify', { identity: customer.identityCode, password: 'not-my-password' });
    assert.match(fifth.body, /locked for 15 minutes/);
    const right = await browser.submit(payment.checkoutUrl, '/identify', { identity: customer.msisdn, password: PASSWORD });
    assert.match(right.body, /locked for 15 minutes/, 'the phone number names the same locked identity');
    harness.clock.offsetMs += 16 * 60_000;
    try {
      const later = await browser.submit(payment.checkoutUrl, '/identify', { identity: customer.msisdn, password: PASSWORD });
      assert.match(later.body, /name="code"/, 'the lock ends');
    } finally {
      harness.clock.offsetMs -= 16 * 60_000;
    }
  });

  it('wrong code ×5: the payment is locked and failed, the right code no longer works, nothing is debited', async () => {
    const customer = await harness.customer();
    const before = await harness.balanceOf(customer.accountId);
    const { browser, payment, code } = await toCodeStep(customer);
    const wrongCode = code === '000000' ? '111111' : '000000';
    for (let attempt = 1; attempt <= 4; attempt++) {
      const wrong = await browser.submit(payment.checkoutUrl, '/code', { code: wrongCode });
      assert.match(wrong.body, /The code is wrong/);
    }
    const fifth = await browser.submit(payment.checkoutUrl, '/code', { code: wrongCode });
    assert.match(fifth.body, /Too many wrong codes/);
    const right = await browser.submit(payment.checkoutUrl, '/code', { code });
    assert.doesNotMatch(right.body, /data-status="succeeded"/);
    assert.equal(await status(payment.id), 'failed');
    assert.equal(await harness.balanceOf(customer.accountId), before);
  });

  it('an expired code fails with a clear message; the payment can still get a new code', async () => {
    const customer = await harness.customer();
    const { browser, payment, code } = await toCodeStep(customer);
    harness.clock.offsetMs += 5 * 60_000 + 1_000;
    try {
      const late = await browser.submit(payment.checkoutUrl, '/code', { code });
      assert.match(late.body, /The code has expired/);
      assert.equal(await status(payment.id), 'awaiting_code');
    } finally {
      harness.clock.offsetMs -= 5 * 60_000 + 1_000;
    }
  });

  it('a code replayed after success does nothing: no second debit', async () => {
    const customer = await harness.customer();
    const before = await harness.balanceOf(customer.accountId);
    const { browser, payment, code } = await toCodeStep(customer, 20_00n);
    const paid = await browser.submit(payment.checkoutUrl, '/code', { code });
    assert.match(paid.body, /data-status="succeeded"/);
    const replay = await browser.request('POST', `${payment.checkoutUrl}/code`, { csrf: 'x', code });
    assert.equal(replay.status, 403, 'a forged or replayed form without the CSRF cookie value is refused');
    const replayed = await browser.submit(payment.checkoutUrl, '/code', { code });
    assert.match(replayed.body, /data-status="succeeded"/, 'the page shows the finished payment');
    assert.equal(await harness.balanceOf(customer.accountId), before - 20_00n, 'debited once');
  });

  it('a code for another payment is wrong for this one', async () => {
    const customer = await harness.customer();
    const first = await toCodeStep(customer, 11_00n);
    const second = await toCodeStep(customer, 12_00n);
    const crossed = await second.browser.submit(second.payment.checkoutUrl, '/code', { code: first.code === second.code ? '999999' : first.code });
    assert.match(crossed.body, /The code is wrong/);
    const crossedSession = await first.browser.submit(second.payment.checkoutUrl, '/code', { code: second.code });
    assert.doesNotMatch(crossedSession.body, /data-status="succeeded"/, 'another browser session cannot use the code');
    assert.equal(await status(second.payment.id), 'awaiting_code');
  });

  it('over the per-payment limit: refused before any code is sent', async () => {
    const customer = await harness.customer({ perPaymentLimitMinor: 50_00n, dailyLimitMinor: 100_00n });
    const payment = await harness.createPayment(60_00n);
    const browser = new FormBrowser(harness.pki.caCertificatePEM);
    const refused = await browser.submit(payment.checkoutUrl, '/identify', { identity: customer.identityCode, password: PASSWORD });
    assert.match(refused.body, /over your per-payment limit/);
  });

  it('over the daily limit with two concurrent checkouts: exactly one is debited', async () => {
    const customer = await harness.customer({ perPaymentLimitMinor: 300_00n, dailyLimitMinor: 500_00n });
    const before = await harness.balanceOf(customer.accountId);
    const a = await toCodeStep(customer, 300_00n);
    const b = await toCodeStep(customer, 300_00n);
    const results = await Promise.all([a.browser.submit(a.payment.checkoutUrl, '/code', { code: a.code }), b.browser.submit(b.payment.checkoutUrl, '/code', { code: b.code })]);
    const succeeded = results.filter((result) => /data-status="succeeded"/.test(result.body));
    assert.equal(succeeded.length, 1, 'one of the two passes the daily limit');
    assert.equal(results.filter((result) => /over your daily limit/.test(result.body)).length, 1);
    assert.equal(await harness.balanceOf(customer.accountId), before - 300_00n);
    const third = await toCodeStep(customer, 200_00n);
    const fits = await third.browser.submit(third.payment.checkoutUrl, '/code', { code: third.code });
    assert.match(fits.body, /data-status="succeeded"/, 'what is left of the day still works');
  });

  it('resend is throttled per payment (at most three codes)', async () => {
    const customer = await harness.customer();
    const { browser, payment } = await toCodeStep(customer);
    for (let send = 2; send <= 3; send++) {
      await browser.submit(payment.checkoutUrl, '/resend', {});
      const again = await browser.submit(payment.checkoutUrl, '/identify', { identity: customer.identityCode, password: PASSWORD });
      assert.match(again.body, /name="code"/);
      await nextCode(customer.handset);
    }
    await browser.submit(payment.checkoutUrl, '/resend', {});
    const fourth = await browser.submit(payment.checkoutUrl, '/identify', { identity: customer.identityCode, password: PASSWORD });
    assert.match(fourth.body, /Please wait before asking again/);
  });

  it('webhook receiver down: retried later with backoff, delivered once with a stable event id', async () => {
    const customer = await harness.customer();
    await harness.gateway.deliverNotifications();
    harness.receiver.down = true;
    const acceptedBefore = harness.receiver.received.length;
    const { browser, payment, code } = await toCodeStep(customer);
    assert.match((await browser.submit(payment.checkoutUrl, '/code', { code })).body, /data-status="succeeded"/);
    await harness.gateway.deliverNotifications();
    assert.ok(harness.receiver.refusedCount >= 1, 'the first attempt met a receiver that was down');
    const row = await harness.database.db.selectFrom('gateway.outbox').selectAll().where('kind', '=', 'webhook').where('body', 'like', `%${payment.id}%`).executeTakeFirstOrThrow();
    assert.equal(row.delivered_at, null);
    assert.ok(row.attempts >= 1 && row.last_error === 'HTTP 503');
    harness.receiver.down = false;
    await harness.gateway.deliverNotifications();
    assert.equal(harness.receiver.received.length, acceptedBefore, 'not before its backoff is over');
    harness.clock.offsetMs += 10_000;
    try {
      await harness.gateway.deliverNotifications();
      await harness.gateway.deliverNotifications();
    } finally {
      harness.clock.offsetMs -= 10_000;
    }
    const deliveries = harness.receiver.received.filter((item) => item.body.includes(payment.id));
    assert.equal(deliveries.length, 1, 'delivered exactly once');
    assert.equal(deliveries[0]?.headers['tessera-event-id'], row.event_id);
  });

  it('a payment left alone expires after 30 minutes; one the customer cancels is canceled; both tell the merchant', async () => {
    const idle = await harness.createPayment(10_00n);
    const leaving = await harness.createPayment(10_00n);
    const browser = new FormBrowser(harness.pki.caCertificatePEM);
    const canceled = await browser.submit(leaving.checkoutUrl, '/cancel', {});
    assert.match(canceled.body, /data-status="canceled"/);
    harness.clock.offsetMs += 31 * 60_000;
    try {
      assert.equal(await status(idle.id), 'expired');
      const late = await browser.request('GET', idle.checkoutUrl);
      assert.match(late.body, /data-status="expired"/);
    } finally {
      harness.clock.offsetMs -= 31 * 60_000;
    }
    const events = await harness.database.db.selectFrom('gateway.outbox').select('body').where('kind', '=', 'webhook').execute();
    assert.ok(events.some((event) => event.body.includes(idle.id) && event.body.includes('payment.expired')));
    assert.ok(events.some((event) => event.body.includes(leaving.id) && event.body.includes('payment.canceled')));
  });

  it('checkout pages speak Simplified Chinese', async () => {
    const payment = await harness.createPayment(10_00n);
    const browser = new FormBrowser(harness.pki.caCertificatePEM);
    const page = await browser.request('GET', `${payment.checkoutUrl}?lang=zh`);
    assert.match(page.body, /网上支付密码/);
    assert.match(page.body, /lang="zh-Hans"/);
  });
});
