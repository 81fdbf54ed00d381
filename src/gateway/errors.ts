import { TesseraError } from '../lib/errors.js';

/** Stable error codes of the gateway (public API; messages are not). */
export const GatewayErrorCode = {
  invalid: 'ERR_GATEWAY_INVALID',
  notFound: 'ERR_GATEWAY_NOT_FOUND',
  forbidden: 'ERR_GATEWAY_FORBIDDEN',
  conflict: 'ERR_GATEWAY_CONFLICT',
  /** The payment is not in a state that allows the step (already paid, expired, canceled…). */
  paymentState: 'ERR_GATEWAY_PAYMENT_STATE',
  paymentExpired: 'ERR_GATEWAY_PAYMENT_EXPIRED',
  /** Unknown identity or wrong password: one code for both (no oracle). */
  credentials: 'ERR_GATEWAY_CREDENTIALS',
  identityLocked: 'ERR_GATEWAY_IDENTITY_LOCKED',
  customerCanceled: 'ERR_GATEWAY_CUSTOMER_CANCELED',
  phoneNotRegistered: 'ERR_GATEWAY_PHONE_NOT_REGISTERED',
  otpWrong: 'ERR_GATEWAY_OTP_WRONG',
  otpExpired: 'ERR_GATEWAY_OTP_EXPIRED',
  otpExhausted: 'ERR_GATEWAY_OTP_EXHAUSTED',
  otpMissing: 'ERR_GATEWAY_OTP_MISSING',
  resendThrottled: 'ERR_GATEWAY_RESEND_THROTTLED',
  perPaymentLimit: 'ERR_GATEWAY_PER_PAYMENT_LIMIT',
  dailyLimit: 'ERR_GATEWAY_DAILY_LIMIT',
  currency: 'ERR_GATEWAY_CURRENCY',
  declined: 'ERR_GATEWAY_DECLINED',
  bankUnavailable: 'ERR_GATEWAY_BANK_UNAVAILABLE',
  smsUnavailable: 'ERR_GATEWAY_SMS_UNAVAILABLE',
  csrf: 'ERR_GATEWAY_CSRF',
  session: 'ERR_GATEWAY_SESSION',
  refund: 'ERR_GATEWAY_REFUND',
  signature: 'ERR_GATEWAY_SIGNATURE',
} as const;
export type GatewayErrorCode = (typeof GatewayErrorCode)[keyof typeof GatewayErrorCode];

const STATUS: Readonly<Record<GatewayErrorCode, number>> = {
  ERR_GATEWAY_INVALID: 400,
  ERR_GATEWAY_NOT_FOUND: 404,
  ERR_GATEWAY_FORBIDDEN: 403,
  ERR_GATEWAY_CONFLICT: 409,
  ERR_GATEWAY_PAYMENT_STATE: 409,
  ERR_GATEWAY_PAYMENT_EXPIRED: 410,
  ERR_GATEWAY_CREDENTIALS: 401,
  ERR_GATEWAY_IDENTITY_LOCKED: 423,
  ERR_GATEWAY_CUSTOMER_CANCELED: 403,
  ERR_GATEWAY_PHONE_NOT_REGISTERED: 400,
  ERR_GATEWAY_OTP_WRONG: 401,
  ERR_GATEWAY_OTP_EXPIRED: 410,
  ERR_GATEWAY_OTP_EXHAUSTED: 423,
  ERR_GATEWAY_OTP_MISSING: 409,
  ERR_GATEWAY_RESEND_THROTTLED: 429,
  ERR_GATEWAY_PER_PAYMENT_LIMIT: 422,
  ERR_GATEWAY_DAILY_LIMIT: 422,
  ERR_GATEWAY_CURRENCY: 422,
  ERR_GATEWAY_DECLINED: 402,
  ERR_GATEWAY_BANK_UNAVAILABLE: 503,
  ERR_GATEWAY_SMS_UNAVAILABLE: 503,
  ERR_GATEWAY_CSRF: 403,
  ERR_GATEWAY_SESSION: 403,
  ERR_GATEWAY_REFUND: 422,
  ERR_GATEWAY_SIGNATURE: 400,
};

export function gatewayError(code: GatewayErrorCode, message: string, details?: Record<string, unknown>): TesseraError {
  return new TesseraError(code, message, { httpStatus: STATUS[code], ...(details === undefined ? {} : { details }) });
}
