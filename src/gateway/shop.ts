import { Type } from 'typebox';
import type { HttpApp } from '../infra/http/index.js';
import { formatMoney } from '../lib/money.js';
import type { GatewayContext } from './context.js';
import type { PartnerClient } from './merchantClient.js';
import { escape, layout, pickLanguage } from './pages.js';
import { checkCsrf, csrfToken, sendHTML } from './publicRoutes.js';
import { randomToken } from './secrets.js';
import { SIGNATURE_HEADER, verifyWebhook } from './webhookSignature.js';

/**
 * The demo merchant (`/shop`), served by the gateway's public listener but acting exactly as an
 * outside merchant would: it creates payments through the partner API over mutual TLS with its
 * own client certificate, sends the browser to the hosted checkout, and learns the outcome from a
 * signed webhook it verifies. State is in memory: it is a demo, not a service.
 */

export interface ShopConfig {
  readonly merchantName: string;
  readonly client: PartnerClient;
  readonly webhookSecret: string;
  readonly currency: string;
}

export interface ShopState {
  config: ShopConfig | undefined;
  /** Verified webhook events, newest last (bounded). */
  readonly events: { id: string; type: string; paymentId: string; status: string }[];
}

export const SHOP_EVENTS_MAX = 1_000;
const PRODUCTS = [
  { sku: 'tea', en: 'Longjing green tea, 250 g', zh: '西湖龙井 250 克', amountMinor: 128_00n },
  { sku: 'mug', en: 'Celadon mug', zh: '青瓷马克杯', amountMinor: 45_50n },
] as const;

export function registerShopRoutes(app: HttpApp, context: GatewayContext, state: ShopState, publicUrl: () => string): void {
  app.get('/shop', { schema: { hide: true, querystring: Type.Object({ lang: Type.Optional(Type.String({ maxLength: 2 })) }) } }, async (request, reply) => {
    const language = pickLanguage(request.query.lang, request.headers['accept-language']);
    const csrf = csrfToken(request, reply, context.random);
    const config = state.config;
    if (config === undefined) return sendHTML(reply, 503, layout(language, 'Shop', '<h1>The demo shop is not set up</h1>'));
    const items = PRODUCTS.map((product) => `<form class="card" method="post" action="/shop/buy">
<input type="hidden" name="csrf" value="${escape(csrf)}"><input type="hidden" name="sku" value="${product.sku}"><input type="hidden" name="lang" value="${language}">
<strong>${escape(product[language])}</strong><div class="amount">${escape(formatMoney({ amountMinor: product.amountMinor, currency: config.currency }))}</div>
<button type="submit" id="buy-${product.sku}">${language === 'zh' ? '立即购买' : 'Buy now'}</button></form>`).join('');
    return sendHTML(reply, 200, layout(language, config.merchantName, `<h1>${escape(config.merchantName)}</h1>${items}`));
  });

  app.post('/shop/buy', {
    schema: { hide: true, body: Type.Object({ csrf: Type.String({ maxLength: 64 }), sku: Type.String({ maxLength: 16 }), lang: Type.Optional(Type.String({ maxLength: 2 })) }, { additionalProperties: false }) },
  }, async (request, reply) => {
    checkCsrf(request, request.body.csrf);
    const config = state.config;
    const product = PRODUCTS.find((item) => item.sku === request.body.sku);
    if (config === undefined || product === undefined) return sendHTML(reply, 404, layout('en', 'Shop', '<h1>No such product</h1>'));
    const orderId = `ORD-${randomToken(context.random, 9)}`;
    const created = await config.client.call('POST', '/v1/payments', {
      orderId, amountMinor: product.amountMinor.toString(), currency: config.currency, description: product.en,
      returnUrl: `${publicUrl()}/shop/return?order=${orderId}`, notifyUrl: `${publicUrl()}/shop/webhook`,
    }, { 'idempotency-key': orderId });
    const checkoutUrl = created.body['checkoutUrl'];
    if (created.status !== 201 || typeof checkoutUrl !== 'string') return sendHTML(reply, 502, layout('en', 'Shop', '<h1>The payment could not be started</h1>'));
    const language = request.body.lang === 'zh' ? 'zh' : 'en';
    return reply.code(303).header('location', `${checkoutUrl}?lang=${language}`).send();
  });

  app.get('/shop/return', {
    schema: { hide: true, querystring: Type.Object({ order: Type.Optional(Type.String({ maxLength: 64 })), payment: Type.Optional(Type.String({ maxLength: 64 })), status: Type.Optional(Type.String({ maxLength: 20 })) }) },
  }, async (request, reply) => {
    const paymentId = request.query.payment ?? '';
    // The redirect's status is only a hint; the verified webhook is what the shop believes.
    const verified = state.events.filter((event) => event.paymentId === paymentId).at(-1);
    const text = verified === undefined ? 'Waiting for the payment notification…' : `Payment ${escape(verified.status)} (signed notification verified).`;
    return sendHTML(reply, 200, layout('en', 'Order', `<h1>Order ${escape(request.query.order ?? '')}</h1><p id="order-status" data-status="${escape(verified?.status ?? 'pending')}">${text}</p><p><a href="/shop">Back to the shop</a></p>`));
  });

  // The webhook route keeps the exact body bytes: its own JSON parser, in its own scope.
  void app.register((scope, _options, done) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      rawBodies.set(request.raw, text);
      try {
        done(null, JSON.parse(text));
      } catch (error) {
        done(error as Error, undefined);
      }
    });
    registerWebhookRoute(scope, context, state);
    done();
  });
}

function registerWebhookRoute(app: HttpApp, context: GatewayContext, state: ShopState): void {
  app.post('/shop/webhook', { schema: { hide: true } }, async (request, reply) => {
    const config = state.config;
    const header = request.headers[SIGNATURE_HEADER];
    const body = rawBodies.get(request.raw);
    if (config === undefined || typeof header !== 'string' || body === undefined) return reply.code(400).send({ ok: false });
    try {
      verifyWebhook({ secret: config.webhookSecret, header, body, nowS: Math.floor(context.now() / 1000) });
    } catch {
      return reply.code(400).send({ ok: false });
    }
    const event = request.body as { id?: string; type?: string; data?: { payment?: { id?: string; status?: string } } };
    if (state.events.some((seen) => seen.id === event.id)) return reply.code(200).send({ ok: true });
    state.events.push({ id: String(event.id), type: String(event.type), paymentId: String(event.data?.payment?.id ?? ''), status: String(event.data?.payment?.status ?? '') });
    if (state.events.length > SHOP_EVENTS_MAX) state.events.shift();
    return reply.code(200).send({ ok: true });
  });
}

/** The exact bytes of webhook bodies (a signature covers bytes, not a re-serialized object). */
export const rawBodies = new WeakMap<object, string>();
