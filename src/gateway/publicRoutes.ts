import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { isTesseraError } from '../lib/errors.js';
import type { HttpApp } from '../infra/http/index.js';
import {
  authenticateAndSendCode, cancelCheckout, confirmCode, paymentByCheckoutToken, type CheckoutDeps, type Language,
} from './checkout.js';
import { gatewayError, GatewayErrorCode } from './errors.js';
import { FORM_BODY_BYTES_MAX } from './limits.js';
import { codePage, errorText, identityPage, pickLanguage, resultPage } from './pages.js';
import { constantTimeEqual, randomToken, sha256 } from './secrets.js';

/**
 * The public listener (server-authenticated TLS only): the hosted checkout pages. CSRF: a
 * double-submit token (cookie `tessera_csrf` = hidden field `csrf`, compared in constant time),
 * cookies `Secure; HttpOnly; SameSite=Strict`. Step 1 sets `tessera_session`, to which the code
 * is bound: step 2 from another browser is refused.
 */

const CSRF_COOKIE = 'tessera_csrf';
const SESSION_COOKIE = 'tessera_session';
const TOKEN_PATTERN = '^[A-Za-z0-9_-]{43}$';

export function readCookies(request: FastifyRequest): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0) cookies.set(part.slice(0, at).trim(), decodeURIComponent(part.slice(at + 1).trim()));
  }
  return cookies;
}

export function cookie(name: string, value: string, path: string): string {
  return `${name}=${encodeURIComponent(value)}; Path=${path}; Secure; HttpOnly; SameSite=Strict`;
}

/** The CSRF token of this browser (set when missing) and the Set-Cookie to send with it. */
export function csrfToken(request: FastifyRequest, reply: FastifyReply, random: CheckoutDeps['context']['random']): string {
  const existing = readCookies(request).get(CSRF_COOKIE);
  if (existing !== undefined && /^[A-Za-z0-9_-]{22,64}$/.test(existing)) return existing;
  const token = randomToken(random, 24);
  reply.header('set-cookie', cookie(CSRF_COOKIE, token, '/'));
  return token;
}

export function checkCsrf(request: FastifyRequest, received: string): void {
  const expected = readCookies(request).get(CSRF_COOKIE) ?? '';
  if (expected === '' || !constantTimeEqual(sha256(expected), sha256(received))) throw gatewayError(GatewayErrorCode.csrf, 'the form token does not match');
}

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff',
};

export function sendHTML(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.code(status).headers(SECURITY_HEADERS).type('text/html; charset=utf-8').send(html);
}

export function addFormParser(app: HttpApp): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_BYTES_MAX }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8'))));
  });
}

const Params = Type.Object({ token: Type.String({ pattern: TOKEN_PATTERN }) });
const FormBase = { csrf: Type.String({ maxLength: 64 }), lang: Type.Optional(Type.String({ maxLength: 2 })) };

export function registerCheckoutRoutes(app: HttpApp, deps: CheckoutDeps): void {
  const base = (token: string): string => `/pay/${token}`;

  async function render(request: FastifyRequest, reply: FastifyReply, token: string, language: Language, error?: { code: string; identity?: string }): Promise<FastifyReply> {
    const csrf = csrfToken(request, reply, deps.context.random);
    const { payment, merchantName, codeSentTo, codeSessionHash } = await paymentByCheckoutToken(deps, token);
    const message = error === undefined ? undefined : errorText(error.code, language);
    const status = error === undefined ? 200 : error.code === GatewayErrorCode.csrf || error.code === GatewayErrorCode.session ? 403 : 422;
    if (payment.status !== 'created' && payment.status !== 'awaiting_code') {
      return sendHTML(reply, status, resultPage({ language, payment, merchantName, ...(message === undefined ? {} : { error: message }) }));
    }
    const session = readCookies(request).get(SESSION_COOKIE);
    const inSession = session !== undefined && codeSessionHash !== undefined && constantTimeEqual(codeSessionHash, sha256(session));
    if (payment.status === 'awaiting_code' && inSession && codeSentTo !== undefined) {
      return sendHTML(reply, status, codePage({ language, base: base(token), payment, merchantName, csrf, msisdn: codeSentTo, ...(message === undefined ? {} : { error: message }) }));
    }
    return sendHTML(reply, status, identityPage({
      language, base: base(token), payment, merchantName, csrf, ...(message === undefined ? {} : { error: message }), ...(error?.identity === undefined ? {} : { identity: error.identity }),
    }));
  }

  async function step(request: FastifyRequest, reply: FastifyReply, token: string, language: Language, work: () => Promise<void>, identity?: string): Promise<FastifyReply> {
    try {
      await work();
    } catch (error) {
      if (!isTesseraError(error) || !error.code.startsWith('ERR_GATEWAY_')) throw error;
      if (error.code === GatewayErrorCode.notFound) throw error;
      return render(request, reply, token, language, { code: error.code, ...(identity === undefined ? {} : { identity }) });
    }
    return reply.code(303).header('location', `${base(token)}?lang=${language}`).send();
  }

  app.get('/pay/:token', {
    schema: { hide: true, params: Params, querystring: Type.Object({ lang: Type.Optional(Type.String({ maxLength: 2 })) }) },
  }, async (request, reply) => render(request, reply, request.params.token, pickLanguage(request.query.lang, request.headers['accept-language'])));

  app.post('/pay/:token/identify', {
    schema: {
      hide: true, params: Params,
      body: Type.Object({ ...FormBase, identity: Type.String({ minLength: 1, maxLength: 32 }), password: Type.String({ minLength: 1, maxLength: 64 }), phone: Type.Optional(Type.String({ maxLength: 16 })) }, { additionalProperties: false }),
    },
  }, async (request, reply) => {
    const { token } = request.params;
    const body = request.body;
    const language = pickLanguage(body.lang, request.headers['accept-language']);
    return step(request, reply, token, language, async () => {
      checkCsrf(request, body.csrf);
      const sessionToken = randomToken(deps.context.random, 32);
      await authenticateAndSendCode(deps, {
        checkoutToken: token, sessionToken, identity: body.identity, password: body.password, language,
        ...(body.phone === undefined || body.phone === '' ? {} : { msisdn: body.phone }),
      });
      reply.header('set-cookie', cookie(SESSION_COOKIE, sessionToken, base(token)));
    }, body.identity);
  });

  app.post('/pay/:token/resend', {
    schema: { hide: true, params: Params, body: Type.Object(FormBase, { additionalProperties: false }) },
  }, async (request, reply) => {
    const { token } = request.params;
    const language = pickLanguage(request.body.lang, request.headers['accept-language']);
    // A new code needs the password again (the code is the second factor, not a session extender).
    return step(request, reply, token, language, () => {
      checkCsrf(request, request.body.csrf);
      reply.header('set-cookie', `${SESSION_COOKIE}=; Path=${base(token)}; Secure; HttpOnly; SameSite=Strict; Max-Age=0`);
      return Promise.resolve();
    });
  });

  app.post('/pay/:token/code', {
    schema: { hide: true, params: Params, body: Type.Object({ ...FormBase, code: Type.String({ minLength: 1, maxLength: 8 }) }, { additionalProperties: false }) },
  }, async (request, reply) => {
    const { token } = request.params;
    const body = request.body;
    const language = pickLanguage(body.lang, request.headers['accept-language']);
    return step(request, reply, token, language, async () => {
      checkCsrf(request, body.csrf);
      await confirmCode(deps, { checkoutToken: token, sessionToken: readCookies(request).get(SESSION_COOKIE) ?? '', code: body.code });
    });
  });

  app.post('/pay/:token/cancel', {
    schema: { hide: true, params: Params, body: Type.Object(FormBase, { additionalProperties: false }) },
  }, async (request, reply) => {
    const { token } = request.params;
    const language = pickLanguage(request.body.lang, request.headers['accept-language']);
    return step(request, reply, token, language, async () => {
      checkCsrf(request, request.body.csrf);
      await cancelCheckout(deps, token);
    });
  });

}
