import { TesseraError } from '../../lib/errors.js';
import { ADMIN_AGENT_ID_PATTERN, ADMIN_COMMAND_MEDIA_TYPE, ADMIN_PROTOCOL, ADMIN_ROUTE_PATH, AdminHeader } from '../../lib/ram/index.js';
import type { SmartCard } from '../types.js';
import { createAdminClient, type AdminAnswer, type AdminClient, type AdminPost } from './createAdminClient.js';
import { CardAgentErrorCode } from './errors.js';
import { readCardCIN } from './readCardCIN.js';
import { runScript } from './runScript.js';

/** Pause after a 204 (the TSM had nothing) before the next admin session. The TSM long-polls, so this can be short. */
export const CARD_AGENT_POLL_DELAY_MS = 1_000;
/** Longest wait for one answer: above the TSM's long-poll wait (20 s). */
export const CARD_AGENT_REQUEST_TIMEOUT_MS = 30_000;
/** First and largest pause after a failure; doubled after each failure in a row. */
export const CARD_AGENT_BACKOFF_MS_MIN = 250;
export const CARD_AGENT_BACKOFF_MS_MAX = 30_000;
/**
 * Times a POST carrying responses is repeated (with X-Admin-Resume) after its answer was lost,
 * before the agent gives up on it and starts a new session.
 */
export const CARD_AGENT_RESEND_ATTEMPTS_MAX = 3;

export type CardAgentEvent =
  | { readonly type: 'started'; readonly agentId: string; readonly url: string }
  | { readonly type: 'script'; readonly commandCount: number; readonly executedCount: number; readonly badFormat?: number }
  | { readonly type: 'idle' }
  | { readonly type: 'error'; readonly code: string; readonly message: string; readonly retryInMs: number }
  | { readonly type: 'stopped' };

export interface CardAgentOptions {
  /** The TSM's base URL (`https://tsm.example:8443`), or the admin URL itself if it has a path. */
  readonly tsmUrl: string;
  /** PEM of the authority that issued the TSM's TLS certificate (a private CA). */
  readonly ca?: string | Buffer;
  /** X-Admin-From: the card's CIN in hex. Read from the card (GET DATA '0045') when absent. */
  readonly agentId?: string;
  readonly pollDelayMs?: number;
  readonly requestTimeoutMs?: number;
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
  /** Stops the agent: the request in flight is abandoned and no further command is sent to the card. */
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: CardAgentEvent) => void;
}

function adminURL(tsmUrl: string): URL {
  let url: URL;
  try {
    url = new URL(tsmUrl);
  } catch (error) {
    throw new TesseraError(CardAgentErrorCode.config, 'the TSM URL is not a URL', { cause: error });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TesseraError(CardAgentErrorCode.config, 'the TSM URL must be http: or https:');
  if (url.pathname === '/' || url.pathname === '') url.pathname = ADMIN_ROUTE_PATH;
  url.search = '';
  url.hash = '';
  return url;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** The URL of the next POST from X-Admin-Next-URI: resolved against the admin URL, and never to another origin. */
function nextURL(answer: AdminAnswer, base: URL): URL {
  const value = answer.headers[AdminHeader.nextURI];
  if (typeof value !== 'string' || value.length === 0) {
    throw new TesseraError(CardAgentErrorCode.protocol, 'a command script came without X-Admin-Next-URI');
  }
  const url = new URL(value, base);
  if (url.origin !== base.origin) throw new TesseraError(CardAgentErrorCode.protocol, 'X-Admin-Next-URI points to another origin; refused');
  return url;
}

/** Checks a 200 answer: the protocol header and the command script media type. */
function checkScriptAnswer(answer: AdminAnswer): void {
  if (answer.headers[AdminHeader.protocol] !== ADMIN_PROTOCOL) {
    throw new TesseraError(CardAgentErrorCode.protocol, `the answer lacks X-Admin-Protocol: ${ADMIN_PROTOCOL}`);
  }
  if (!(answer.headers['content-type'] ?? '').toLowerCase().startsWith(ADMIN_COMMAND_MEDIA_TYPE)) {
    throw new TesseraError(CardAgentErrorCode.protocol, `a 200 answer must carry ${ADMIN_COMMAND_MEDIA_TYPE}`);
  }
}

function statusError(answer: AdminAnswer): TesseraError {
  let code = '';
  try {
    const parsed = JSON.parse(Buffer.from(answer.body).toString('utf8')) as { error?: { code?: unknown } };
    code = typeof parsed.error?.code === 'string' ? ` (${parsed.error.code})` : '';
  } catch {
    // Not Tessera's JSON error shape: the status says enough.
  }
  return new TesseraError(CardAgentErrorCode.httpStatus, `the TSM answered HTTP ${answer.status}${code}`);
}

/**
 * The card's admin agent (GlobalPlatform Amendment B, RAM over HTTP): it powers the card, reads
 * its CIN unless given one, and then loops until `signal` aborts — POST the previous responses
 * (nothing on a session's first POST), run the command script it is answered with on the card,
 * POST the response script to X-Admin-Next-URI; after a 204 it waits `pollDelayMs` and starts a
 * new session. Network failures are retried with exponential backoff: a POST with responses is
 * repeated (X-Admin-Resume) up to CARD_AGENT_RESEND_ATTEMPTS_MAX times, then abandoned for a new
 * session, which tells the TSM that the batch's fate is unknown. The agent is a relay: the TSM
 * and the card speak SCP03 through it, end to end. Resolves when stopped; throws only at start-up.
 */
export async function runCardAgent(card: SmartCard, options: CardAgentOptions): Promise<void> {
  const signal = options.signal ?? new AbortController().signal;
  const base = adminURL(options.tsmUrl);
  const emit = options.onEvent ?? ((): void => undefined);
  card.powerOn();
  let client: AdminClient | undefined;
  try {
    const agentId = (options.agentId ?? readCardCIN(card)).toUpperCase();
    if (!new RegExp(ADMIN_AGENT_ID_PATTERN).test(agentId)) throw new TesseraError(CardAgentErrorCode.config, 'the agent id must be the CIN as 1 to 32 bytes of hex');
    client = createAdminClient({ agentId, timeoutMs: options.requestTimeoutMs ?? CARD_AGENT_REQUEST_TIMEOUT_MS, ...(options.ca === undefined ? {} : { ca: options.ca }) });
    emit({ type: 'started', agentId, url: base.href });
    await pollLoop(card, client, base, signal, options, emit);
  } finally {
    client?.close();
    card.powerOff();
    emit({ type: 'stopped' });
  }
}

async function pollLoop(
  card: SmartCard, client: AdminClient, base: URL, signal: AbortSignal, options: CardAgentOptions, emit: (event: CardAgentEvent) => void,
): Promise<void> {
  const newSession: AdminPost = { url: base, body: undefined, resume: false };
  const backoffMin = options.backoffMinMs ?? CARD_AGENT_BACKOFF_MS_MIN;
  const backoffMax = options.backoffMaxMs ?? CARD_AGENT_BACKOFF_MS_MAX;
  let next = newSession;
  let failures = 0;
  let resends = 0;
  while (!signal.aborted) {
    try {
      const answer = await client.post(next, signal);
      if (answer.status === 204) {
        failures = 0;
        resends = 0;
        next = newSession;
        emit({ type: 'idle' });
        await sleep(options.pollDelayMs ?? CARD_AGENT_POLL_DELAY_MS, signal);
        continue;
      }
      if (answer.status !== 200) throw statusError(answer);
      checkScriptAnswer(answer);
      const url = nextURL(answer, base);
      const run = runScript(card, answer.body, () => signal.aborted);
      if (run.responseScript === undefined) break;
      emit({ type: 'script', commandCount: run.commandCount, executedCount: run.executedCount, ...(run.badFormat === undefined ? {} : { badFormat: run.badFormat }) });
      failures = 0;
      resends = 0;
      next = { url, body: run.responseScript, resume: false };
    } catch (error) {
      if (signal.aborted) break;
      failures++;
      const retryInMs = Math.min(backoffMax, backoffMin * 2 ** Math.min(failures - 1, 16));
      const lostAnswer = error instanceof TesseraError && error.code === CardAgentErrorCode.network;
      if (lostAnswer && next.body !== undefined && resends < CARD_AGENT_RESEND_ATTEMPTS_MAX) {
        resends++;
        next = { ...next, resume: true };
      } else {
        resends = 0;
        next = newSession;
      }
      emit({ type: 'error', code: error instanceof TesseraError ? error.code : CardAgentErrorCode.network, message: error instanceof Error ? error.message : String(error), retryInMs });
      await sleep(retryInMs, signal);
    }
  }
}
