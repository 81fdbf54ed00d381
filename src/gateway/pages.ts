import { formatMoney } from '../lib/money.js';
import type { Language } from './checkout.js';
import type { Payment } from './payments.js';

/**
 * Server-rendered pages of the hosted checkout and the demo shop: plain HTML forms, no script,
 * sized for a phone. Every interpolated value goes through `escape`. English and Simplified Chinese.
 */

const TEXT = {
  en: {
    title: 'Tessera Pay', pay: 'Pay', to: 'to', order: 'Order', identity: 'Online identity code or phone number', password: 'Online payment password',
    phone: 'Send the code to (optional, a registered phone)', next: 'Send me a code', code: 'Authorization code from your SMS',
    sentTo: 'We sent a code to the phone ending in', confirm: 'Pay now', resend: 'Send a new code', cancel: 'Cancel payment',
    succeeded: 'Payment successful', failed: 'Payment not completed', expired: 'This payment has expired', canceled: 'Payment canceled',
    back: 'Back to the shop', authorized: 'Payment in progress…', note: 'Never type your bank PIN here. Tessera Pay never asks for it.',
    language: '中文',
  },
  zh: {
    title: 'Tessera 支付', pay: '支付', to: '收款方', order: '订单', identity: '网上身份码或手机号码', password: '网上支付密码',
    phone: '接收授权码的手机（可选，须已登记）', next: '获取授权码', code: '短信中的授权码',
    sentTo: '授权码已发送至尾号为', confirm: '确认支付', resend: '重新发送授权码', cancel: '取消支付',
    succeeded: '支付成功', failed: '支付未完成', expired: '支付已过期', canceled: '支付已取消',
    back: '返回商户', authorized: '正在处理…', note: '请勿在此输入银行卡密码，Tessera 支付不会索取。',
    language: 'English',
  },
} as const;

export type PageText = (typeof TEXT)[Language];

/** Messages for the error codes a customer can meet, in both languages. */
const ERROR_TEXT: Record<string, { en: string; zh: string }> = {
  ERR_GATEWAY_CREDENTIALS: { en: 'The identity code or the password is wrong.', zh: '身份码或密码错误。' },
  ERR_GATEWAY_IDENTITY_LOCKED: { en: 'Too many wrong passwords. This identity is locked for 15 minutes.', zh: '密码错误次数过多，该身份已锁定 15 分钟。' },
  ERR_GATEWAY_CUSTOMER_CANCELED: { en: 'Online payment is not enabled for this identity.', zh: '该身份未开通网上支付。' },
  ERR_GATEWAY_PHONE_NOT_REGISTERED: { en: 'Codes can only go to a phone registered for online payment.', zh: '授权码只能发送到已登记的手机。' },
  ERR_GATEWAY_OTP_WRONG: { en: 'The code is wrong. Try again.', zh: '授权码错误，请重试。' },
  ERR_GATEWAY_OTP_EXPIRED: { en: 'The code has expired. Ask for a new one.', zh: '授权码已过期，请重新获取。' },
  ERR_GATEWAY_OTP_EXHAUSTED: { en: 'Too many wrong codes. This payment is locked.', zh: '授权码错误次数过多，本次支付已锁定。' },
  ERR_GATEWAY_OTP_MISSING: { en: 'No code is waiting. Start again.', zh: '没有待验证的授权码，请重新开始。' },
  ERR_GATEWAY_RESEND_THROTTLED: { en: 'A code was sent a moment ago. Please wait before asking again.', zh: '授权码刚刚发送，请稍后再试。' },
  ERR_GATEWAY_PER_PAYMENT_LIMIT: { en: 'The amount is over your per-payment limit.', zh: '金额超过单笔限额。' },
  ERR_GATEWAY_DAILY_LIMIT: { en: 'The amount is over your daily limit.', zh: '金额超过每日限额。' },
  ERR_GATEWAY_CURRENCY: { en: 'Your online payments use another currency.', zh: '币种不符。' },
  ERR_GATEWAY_PAYMENT_EXPIRED: { en: 'This payment has expired.', zh: '支付已过期。' },
  ERR_GATEWAY_PAYMENT_STATE: { en: 'This payment is no longer open.', zh: '该支付已结束。' },
  ERR_GATEWAY_CSRF: { en: 'The form expired. Please try again.', zh: '页面已过期，请重试。' },
  ERR_GATEWAY_SESSION: { en: 'This checkout was started in another browser. Start again.', zh: '请在发起支付的浏览器中继续。' },
  ERR_GATEWAY_SMS_UNAVAILABLE: { en: 'The SMS could not be sent. Ask for a new code.', zh: '短信发送失败，请重新获取。' },
};

export function errorText(code: string, language: Language): string {
  return ERROR_TEXT[code]?.[language] ?? (language === 'zh' ? '出现错误，请重试。' : 'Something went wrong. Please try again.');
}

export function escape(value: string): string {
  return value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

export function pickLanguage(query: string | undefined, acceptLanguage: string | undefined): Language {
  if (query === 'zh' || query === 'en') return query;
  return /^\s*zh/i.test(acceptLanguage ?? '') ? 'zh' : 'en';
}

const STYLE = `body{font-family:system-ui,"PingFang SC","Noto Sans CJK SC",sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
main{max-width:420px;margin:0 auto;padding:16px}h1{font-size:1.3rem}.card{background:#fff;border-radius:12px;padding:16px;margin:12px 0;box-shadow:0 1px 3px #0002}
label{display:block;margin:12px 0 4px;font-size:.9rem}input{width:100%;box-sizing:border-box;font-size:1.1rem;padding:10px;border:1px solid #aab;border-radius:8px}
button{width:100%;font-size:1.1rem;padding:12px;margin-top:16px;border:0;border-radius:8px;background:#1f6feb;color:#fff}
button.secondary{background:#e4e7ec;color:#1d2330}.amount{font-size:1.8rem;font-weight:600}.error{background:#fde8e8;color:#9b1c1c;padding:10px;border-radius:8px}
.ok{color:#046c4e}.muted{color:#667;font-size:.85rem}a{color:#1f6feb}`;

export function layout(language: Language, title: string, body: string, extraHead = ''): string {
  return `<!doctype html><html lang="${language === 'zh' ? 'zh-Hans' : 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title><style>${STYLE}</style>${extraHead}</head>
<body><main>${body}</main></body></html>`;
}

function summary(text: PageText, payment: Payment, merchantName: string): string {
  return `<div class="card"><div class="muted">${text.pay} ${text.to} <strong>${escape(merchantName)}</strong></div>
<div class="amount" id="amount">${escape(formatMoney({ amountMinor: payment.amountMinor, currency: payment.currency }))}</div>
<div class="muted">${text.order} ${escape(payment.orderId)} · ${escape(payment.description)}</div></div>`;
}

function hidden(csrf: string, language: Language): string {
  return `<input type="hidden" name="csrf" value="${escape(csrf)}"><input type="hidden" name="lang" value="${language}">`;
}

export function identityPage(input: { language: Language; base: string; payment: Payment; merchantName: string; csrf: string; error?: string; identity?: string }): string {
  const text = TEXT[input.language];
  const other = input.language === 'zh' ? 'en' : 'zh';
  return layout(input.language, text.title, `<h1>${text.title}</h1>${summary(text, input.payment, input.merchantName)}
${input.error === undefined ? '' : `<p class="error" role="alert">${escape(input.error)}</p>`}
<form class="card" method="post" action="${input.base}/identify">${hidden(input.csrf, input.language)}
<label for="identity">${text.identity}</label><input id="identity" name="identity" autocomplete="username" required maxlength="32" value="${escape(input.identity ?? '')}">
<label for="password">${text.password}</label><input id="password" name="password" type="password" autocomplete="current-password" required maxlength="64">
<label for="phone">${text.phone}</label><input id="phone" name="phone" inputmode="tel" maxlength="16">
<button type="submit" id="send-code">${text.next}</button></form>
<form method="post" action="${input.base}/cancel">${hidden(input.csrf, input.language)}<button class="secondary" type="submit">${text.cancel}</button></form>
<p class="muted">${text.note}</p><p><a href="${input.base}?lang=${other}">${text.language}</a></p>`);
}

export function codePage(input: { language: Language; base: string; payment: Payment; merchantName: string; csrf: string; msisdn: string; error?: string }): string {
  const text = TEXT[input.language];
  return layout(input.language, text.title, `<h1>${text.title}</h1>${summary(text, input.payment, input.merchantName)}
${input.error === undefined ? '' : `<p class="error" role="alert">${escape(input.error)}</p>`}
<form class="card" method="post" action="${input.base}/code">${hidden(input.csrf, input.language)}
<p>${text.sentTo} ${escape(input.msisdn.slice(-4))}.</p>
<label for="code">${text.code}</label><input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6,8}" required maxlength="8">
<button type="submit" id="pay">${text.confirm}</button></form>
<form method="post" action="${input.base}/resend">${hidden(input.csrf, input.language)}<button class="secondary" type="submit">${text.resend}</button></form>
<form method="post" action="${input.base}/cancel">${hidden(input.csrf, input.language)}<button class="secondary" type="submit">${text.cancel}</button></form>`);
}

export function resultPage(input: { language: Language; payment: Payment; merchantName: string; error?: string }): string {
  const text = TEXT[input.language];
  const status = input.payment.status;
  const heading = status === 'succeeded' ? text.succeeded : status === 'expired' ? text.expired : status === 'canceled' ? text.canceled : status === 'authorized' ? text.authorized : text.failed;
  const back = `${input.payment.returnUrl}${input.payment.returnUrl.includes('?') ? '&' : '?'}payment=${encodeURIComponent(input.payment.id)}&status=${status}`;
  const refresh = status === 'succeeded' ? `<meta http-equiv="refresh" content="5;url=${escape(back)}">` : '';
  return layout(input.language, heading, `<h1 id="result" class="${status === 'succeeded' ? 'ok' : ''}" data-status="${status}">${heading}</h1>
${summary(text, input.payment, input.merchantName)}
${input.error === undefined ? '' : `<p class="error" role="alert">${escape(input.error)}</p>`}
<p><a id="return" href="${escape(back)}">${text.back}</a></p>`, refresh);
}
