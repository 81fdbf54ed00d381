import { randomUUID } from 'node:crypto';
import { Agent, request as httpsRequest } from 'node:https';
import { fromHex, toHex } from '../lib/bytes.js';
import { encodeCommandAPDU, type CommandAPDU } from '../lib/apdu.js';
import { TesseraError } from '../lib/errors.js';
import { computeAESKeyCheckValue, encryptKeyWithDEK, SCP03HostSession, type SCP03SecurityLevel } from '../lib/scp03/index.js';
import { encodeInstallCommand, encodePutKeyData } from '../lib/gp/index.js';
import type { RandomSource } from '../lib/crypto/index.js';
import type { Keyset } from './keys.js';

/** A call to the TSM that has not answered after this long is abandoned. */
export const SP_CLIENT_TIMEOUT_MS = 60_000;
/** Largest answer the client reads. */
const RESPONSE_BYTES_MAX = 1024 * 1024;

export interface SPClientOptions {
  readonly url: string;
  /** The SP's client certificate and key (PEM), issued by the TSM's SP CA. */
  readonly certificate: string;
  readonly privateKey: string;
  /** The TSM root certificate (PEM) that issued the TSM's HTTPS certificate. */
  readonly ca: string;
  readonly timeoutMs?: number;
}

export interface SPConversation {
  readonly conversationId: string;
  readonly otaCarrier: string;
  readonly scriptsMax: number;
  readonly scriptBytesMax: number;
  readonly expiresAt: string;
  readonly state: string;
}

export interface SPScriptResult {
  readonly executionId: string;
  readonly state: string;
  readonly responses: string[];
  readonly failedCommandIndexes: number[];
  readonly errorCode: string | null;
}

/**
 * An SP TSM's client for the central TSM's SP-TSM API over mutual TLS: look-ups, conversations,
 * scripts, pre-personalization, activation. Mutating calls carry a fresh Idempotency-Key unless
 * the caller gives one (a retry must reuse it).
 */
export class SPClient {
  readonly #options: SPClientOptions;
  readonly #agent: Agent;

  constructor(options: SPClientOptions) {
    this.#options = options;
    this.#agent = new Agent({ keepAlive: true, cert: options.certificate, key: options.privateKey, ca: options.ca, minVersion: 'TLSv1.2' });
  }

  close(): void {
    this.#agent.destroy();
  }

  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown, idempotencyKey?: string): Promise<{ status: number; body: T }> {
    const url = new URL(path, this.#options.url);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const request = httpsRequest(url, {
        method,
        agent: this.#agent,
        timeout: this.#options.timeoutMs ?? SP_CLIENT_TIMEOUT_MS,
        headers: {
          accept: 'application/json',
          ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(payload.length) }),
          ...(method === 'POST' && idempotencyKey !== '' ? { 'idempotency-key': idempotencyKey ?? randomUUID() } : {}),
        },
      }, (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > RESPONSE_BYTES_MAX) request.destroy(new Error('response too large'));
          else chunks.push(chunk);
        });
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text === '' ? undefined : JSON.parse(text);
          } catch (error) {
            reject(new TesseraError('ERR_TSM_CLIENT_RESPONSE', `the TSM answered ${response.statusCode} with non-JSON`, { cause: error }));
            return;
          }
          const status = response.statusCode ?? 0;
          if (status >= 400) {
            const error = (parsed as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | undefined)?.error;
            reject(new TesseraError(error?.code ?? 'ERR_TSM_CLIENT_RESPONSE', error?.message ?? `HTTP ${status}`, { httpStatus: status, ...(error?.details === undefined ? {} : { details: error.details }) }));
            return;
          }
          resolve({ status, body: parsed as T });
        });
        response.on('error', reject);
      });
      request.on('timeout', () => request.destroy(new TesseraError('ERR_TSM_CLIENT_TIMEOUT', 'the TSM did not answer in time')));
      request.on('error', reject);
      if (payload !== undefined) request.write(payload);
      request.end();
    });
  }

  async lookUp(msi: string): Promise<{ cin: string; iin: string }> {
    return (await this.call<{ cin: string; iin: string }>('GET', `/v1/secure-elements?msi=${encodeURIComponent(msi)}`)).body;
  }

  async secureElement(cin: string): Promise<Record<string, unknown> & { serviceProvider: { securityDomainAid: string | null; tsmHoldsKeys: boolean; services: { serviceId: string; state: string; instanceAid: string }[] } }> {
    return (await this.call<never>('GET', `/v1/secure-elements/${cin}`)).body;
  }

  async registerService(service: { serviceId: string; version: string; packageAid: string; moduleAid: string; instanceAid: string; installParameters?: string; loadFile?: Uint8Array }): Promise<void> {
    const { loadFile, ...rest } = service;
    await this.call('POST', '/v1/services', { ...rest, ...(loadFile === undefined ? {} : { loadFile: toHex(loadFile) }) });
  }

  async startConversation(request: {
    cin: string; msi: string; serviceId: string; serviceVersion: string; spName: string; prn: string; targetAid: string;
    requestedOperation: string; scriptBytes?: number;
  }): Promise<SPConversation> {
    return (await this.call<SPConversation>('POST', '/v1/conversations', {
      cin: request.cin, msi: request.msi, serviceId: request.serviceId, serviceVersion: request.serviceVersion,
      serviceQualifier: { spName: request.spName, prn: request.prn }, targetAid: request.targetAid,
      scriptFormat: 'apdu-list', scriptBytes: request.scriptBytes ?? 8192, requestedOperation: request.requestedOperation,
    })).body;
  }

  async endConversation(conversationId: string, status: string): Promise<SPConversation> {
    return (await this.call<SPConversation>('POST', `/v1/conversations/${conversationId}/end`, { status })).body;
  }

  async script(conversationId: string, wrapping: 'tsm' | 'sp', commands: readonly Uint8Array[], idempotencyKey?: string): Promise<SPScriptResult> {
    return (await this.call<SPScriptResult>('POST', `/v1/conversations/${conversationId}/scripts`, { wrapping, commands: commands.map(toHex) }, idempotencyKey)).body;
  }

  async prePersonalize(cin: string, serviceId: string, idempotencyKey?: string): Promise<{ state: string; result: { securityDomainAid: string; instanceAid: string } | null }> {
    return (await this.call<never>('POST', `/v1/secure-elements/${cin}/pre-personalization`, { serviceId }, idempotencyKey)).body;
  }

  async provisionalKeys(cin: string): Promise<Keyset & { securityDomainAid: string }> {
    const body = (await this.call<{ securityDomainAid: string; keyVersion: number; keys: { enc: string; mac: string; dek: string } }>('POST', `/v1/secure-elements/${cin}/provisional-keys`, undefined, '')).body;
    return { securityDomainAid: body.securityDomainAid, version: body.keyVersion, enc: fromHex(body.keys.enc), mac: fromHex(body.keys.mac), dek: fromHex(body.keys.dek) };
  }

  async activate(request: { cin: string; msi: string; serviceId: string; spName: string; prn: string }): Promise<{ state: string }> {
    return (await this.call<{ state: string }>('POST', '/v1/services/activate', {
      cin: request.cin, msi: request.msi, serviceId: request.serviceId, serviceQualifier: { spName: request.spName, prn: request.prn },
    })).body;
  }
}

function requireCompleted(result: SPScriptResult, what: string): string[] {
  if (result.state !== 'completed' || result.failedCommandIndexes.length > 0) {
    throw new TesseraError('ERR_TSM_SCRIPT_FAILED', `${what}: ${result.state}${result.errorCode === null ? '' : ` (${result.errorCode})`}, failed commands ${JSON.stringify(result.failedCommandIndexes)}, responses ${result.responses.join(' ')}`);
  }
  return result.responses;
}

/**
 * The SP's own secure channel to its domain, run through a conversation (scripts with wrapping
 * 'sp'): the TSM relays, and after the SP rotates its keys it cannot read or change what flows.
 */
export class SPSecureChannel {
  readonly #client: SPClient;
  readonly #conversationId: string;
  readonly #host: SCP03HostSession;
  #keyset: Keyset;
  /** EXTERNAL AUTHENTICATE not sent yet: it heads the next script. */
  #authenticate: Uint8Array | undefined;

  private constructor(client: SPClient, conversationId: string, keyset: Keyset, random?: RandomSource) {
    this.#client = client;
    this.#conversationId = conversationId;
    this.#keyset = keyset;
    this.#host = new SCP03HostSession({ keys: { keyVersion: keyset.version, enc: keyset.enc, mac: keyset.mac, dek: keyset.dek }, ...(random === undefined ? {} : { random }) });
  }

  /**
   * INITIALIZE UPDATE as its own script (the host needs the card's challenge); EXTERNAL
   * AUTHENTICATE then goes at the head of the first script sent, and is checked with its answer.
   */
  static async open(client: SPClient, conversationId: string, keyset: Keyset, level: SCP03SecurityLevel, random?: RandomSource): Promise<SPSecureChannel> {
    const channel = new SPSecureChannel(client, conversationId, keyset, random);
    const [initialize] = requireCompleted(await client.script(conversationId, 'sp', [channel.#host.initializeUpdate()]), 'INITIALIZE UPDATE');
    channel.#host.processInitializeUpdateResponse(fromHex(initialize ?? ''));
    channel.#authenticate = channel.#host.externalAuthenticateAhead(level);
    return channel;
  }

  /**
   * Sends plain commands as one script, all wrapped before any answer comes back: the C-MAC chain
   * runs over commands only, and each response is checked against its own command. The card stops
   * at the first error, so a failed command fails the script and the rest do not run.
   */
  async send(commands: readonly CommandAPDU[]): Promise<Uint8Array[]> {
    const authenticate = this.#authenticate;
    this.#authenticate = undefined;
    const script = [
      ...(authenticate === undefined ? [] : [authenticate]),
      ...commands.map((command) => this.#host.wrapCommand(encodeCommandAPDU(command))),
    ];
    const result = await this.#client.script(this.#conversationId, 'sp', script);
    if (authenticate !== undefined && result.responses.length > 0) {
      // Checked first: a refused EXTERNAL AUTHENTICATE is the cause of everything after it failing.
      this.#host.unwrapResponse(fromHex(result.responses[0] ?? ''));
    }
    const responses = requireCompleted(result, `commands ${commands.map((command) => toHex(Uint8Array.of(command.ins))).join(' ')}`);
    if (responses.length !== script.length) {
      throw new TesseraError('ERR_TSM_SCRIPT_FAILED', `sent ${script.length} commands, received ${responses.length} responses`);
    }
    return responses.slice(authenticate === undefined ? 0 : 1).map((response) => {
      const unwrapped = this.#host.unwrapResponse(fromHex(response));
      return new Uint8Array([...unwrapped.data, unwrapped.sw >> 8, unwrapped.sw & 0xff]);
    });
  }

  /**
   * PUT KEY replacing the current keyset with the SP's own (GP 2.3 §11.8, keys under the current
   * K-DEK); `alsoSend` follow in the same script (the session keeps its session keys until it ends).
   */
  async rotateKeys(next: Keyset, alsoSend: readonly CommandAPDU[] = []): Promise<Uint8Array[]> {
    const component = (key: Uint8Array) => ({ keyType: 0x88, keyData: encryptKeyWithDEK(this.#keyset.dek, key), keyCheckValue: computeAESKeyCheckValue(key) });
    const answers = await this.send([{
      cla: 0x80, ins: 0xd8, p1: this.#keyset.version, p2: 0x81, le: 256,
      data: encodePutKeyData({ keyVersionNumber: next.version, keys: [component(next.enc), component(next.mac), component(next.dek)] }),
    }, ...alsoSend]);
    this.#keyset = next;
    return answers.slice(1);
  }

  /** INSTALL [for personalization] of the instance, then STORE DATA blocks (GP 2.3 §11.5.2.3.6, §11.11). */
  static personalizationCommands(instanceAid: string, blocks: readonly Uint8Array[]): CommandAPDU[] {
    const install = encodeInstallCommand({ kind: 'personalization', applicationAID: fromHex(instanceAid) });
    return [
      { cla: 0x80, ins: 0xe6, p1: install.p1, p2: 0x00, data: install.data, le: 256 },
      ...blocks.map((block, index) => ({ cla: 0x80, ins: 0xe2, p1: index === blocks.length - 1 ? 0x80 : 0x00, p2: index, data: block })),
    ];
  }

  /** Personalization as one script (see personalizationCommands). */
  async personalize(instanceAid: string, blocks: readonly Uint8Array[]): Promise<void> {
    await this.send(SPSecureChannel.personalizationCommands(instanceAid, blocks));
  }
}
