import { Agent, request as httpsRequest } from 'node:https';
import {
  encodeTsmRequestSignatureHeader, TSM_REQUEST_NONCE_BYTES, TSM_REQUEST_SIGNATURE_HEADER, tsmRequestDigest,
} from '../applets/crypto-se/client.js';
import { toHex } from '../lib/bytes.js';
import { createSystemRandomSource, type RandomSource } from '../lib/crypto/index.js';
import { deviceError, DeviceErrorCode } from './errors.js';
import type { InstalledApplication } from './types.js';

/** A TSM call that has not answered after this long is abandoned (an update waits for the card work). */
export const DEVICE_TSM_TIMEOUT_MS = 120_000;
const RESPONSE_BYTES_MAX = 1024 * 1024;

export interface DeviceTsmClientOptions {
  /** Base URL of the TSM's device endpoint (the OTA listener), e.g. https://127.0.0.1:9444. */
  readonly url: string;
  /** The TSM root certificate (PEM): the device trusts it for the TSM's HTTPS certificate. */
  readonly ca: string;
  readonly timeoutMs?: number;
  /** Nonces of signed requests (default: the system's). */
  readonly random?: RandomSource;
  /** The clock of signed requests' time (default Date.now). */
  readonly now?: () => number;
}

/**
 * What signs a request to the TSM's device API: the device's Crypto SE (SIGN TSM REQUEST), which
 * signs the label and this digest with the key the TSM certified. The host never holds that key.
 */
export interface TsmRequestSigner {
  signTsmRequest(digest: Uint8Array): Uint8Array;
}

export interface RegistrationAnswer {
  readonly deviceId: string;
  readonly certificate: string;
  readonly rootCertificate: string;
  readonly serialNumber: string;
  readonly subject: string;
  readonly notAfter: string;
}

export interface CatalogueApplication extends InstalledApplication {
  readonly moduleAid: string;
  readonly installedVersion: string | null;
}

export interface UpdatesAnswer {
  readonly otaPath: string | null;
  readonly applications: readonly CatalogueApplication[];
}

export interface UpdateOutcomeAnswer {
  readonly installed: readonly (InstalledApplication & { readonly moduleAid: string })[];
  readonly failed: readonly { readonly packageAid: string; readonly code: string; readonly message: string }[];
}

/** What the TSM stored of a payment report (the fraud feed): nothing else. */
export interface PaymentReportAnswer {
  readonly deviceId: string;
  readonly attestationCounter: string;
  readonly lastFour: string;
  readonly atc: number;
  readonly transactionDate: string;
  readonly receivedAt: string;
}

/** The TSM root key's DER signature over the unblock label and the Crypto SE's challenge, hex. */
export interface PINUnblockAnswer {
  readonly signature: string;
}

export interface CredentialPackagesAnswer {
  readonly packages: readonly { readonly counter: string; readonly credentialSlot: number; readonly package: string }[];
}

/**
 * The device's client for the TSM's device API (HTTPS, server-authenticated with the TSM root the
 * Crypto SE holds): registration, the application catalogue, credential packages, payment reports,
 * PIN unblocks. It carries only public or sealed data: a certification request, AIDs, packages
 * sealed to the Crypto SE key, payment attestations (last four digits and a signature), a Crypto SE
 * challenge and the TSM's signature over it.
 */
export class DeviceTsmClient {
  readonly #options: DeviceTsmClientOptions;
  readonly #agent: Agent;
  readonly #random: RandomSource;

  constructor(options: DeviceTsmClientOptions) {
    this.#options = options;
    this.#random = options.random ?? createSystemRandomSource();
    this.#agent = new Agent({ keepAlive: false, ca: options.ca, minVersion: 'TLSv1.2' });
  }

  get url(): string {
    return this.#options.url;
  }

  get ca(): string {
    return this.#options.ca;
  }

  close(): void {
    this.#agent.destroy();
  }

  register(deviceId: string, certificationRequest: Uint8Array): Promise<RegistrationAnswer> {
    return this.#call('POST', '/v1/devices/registrations', { deviceId, certificationRequest: Buffer.from(certificationRequest).toString('hex').toUpperCase() });
  }

  /** The catalogue and what this device has; signed by `signer` (the device's Crypto SE). */
  updates(deviceId: string, signer: TsmRequestSigner): Promise<UpdatesAnswer> {
    return this.#call('GET', `/v1/devices/${deviceId}/updates`, undefined, signer);
  }

  installUpdates(deviceId: string, signer: TsmRequestSigner): Promise<UpdateOutcomeAnswer> {
    return this.#call('POST', `/v1/devices/${deviceId}/updates`, {}, signer);
  }

  credentialPackages(deviceId: string, afterCounter: string, signer: TsmRequestSigner): Promise<CredentialPackagesAnswer> {
    return this.#call('GET', `/v1/devices/${deviceId}/credential-packages?after=${afterCounter}`, undefined, signer);
  }

  /**
   * Redeems the PIN unblock the user's bank approved: the TSM signs this challenge (from the Crypto
   * SE's GET CHALLENGE) for UNBLOCK PIN, once. Signed by `signer` in the session that holds the challenge.
   */
  pinUnblock(deviceId: string, challenge: Uint8Array, signer: TsmRequestSigner): Promise<PINUnblockAnswer> {
    return this.#call('POST', `/v1/devices/${deviceId}/pin-unblocks`, { challenge: toHex(challenge) }, signer);
  }

  /** Delivers one payment attestation (record and DER signature, hex) to the fraud feed. */
  paymentReport(deviceId: string, report: { readonly record: string; readonly signature: string }): Promise<PaymentReportAnswer> {
    return this.#call('POST', `/v1/devices/${deviceId}/payment-reports`, { record: report.record, signature: report.signature });
  }

  /**
   * The Tessera-Device-Signature header for exactly this request: the canonical request over the
   * target and body bytes that will be sent, its digest signed by the Crypto SE (README.md of the
   * Crypto SE applet, "SIGN TSM REQUEST").
   */
  #signatureHeader(signer: TsmRequestSigner, method: string, url: URL, payload: Uint8Array | undefined): string {
    const timestampSeconds = Math.floor((this.#options.now ?? Date.now)() / 1000);
    const nonce = toHex(this.#random.bytes(TSM_REQUEST_NONCE_BYTES));
    const digest = tsmRequestDigest({ method, pathWithQuery: `${url.pathname}${url.search}`, timestampSeconds, nonce, body: payload ?? new Uint8Array(0) });
    return encodeTsmRequestSignatureHeader({ timestampSeconds, nonce, signature: signer.signTsmRequest(digest) });
  }

  #call<T>(method: 'GET' | 'POST', path: string, body?: unknown, signer?: TsmRequestSigner): Promise<T> {
    const url = new URL(path, this.#options.url);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    let signature: Record<string, string>;
    try {
      signature = signer === undefined ? {} : { [TSM_REQUEST_SIGNATURE_HEADER]: this.#signatureHeader(signer, method, url, payload) };
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return new Promise((resolve, reject) => {
      const request = httpsRequest(url, {
        method, agent: this.#agent, timeout: this.#options.timeoutMs ?? DEVICE_TSM_TIMEOUT_MS,
        headers: {
          accept: 'application/json', ...signature,
          ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(payload.length) }),
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
          let parsed: unknown;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            reject(deviceError(DeviceErrorCode.tsm, `the TSM answered ${response.statusCode ?? 0} without JSON`));
            return;
          }
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            resolve(parsed as T);
            return;
          }
          const error = (parsed as { error?: { code?: string; message?: string } }).error;
          reject(deviceError(DeviceErrorCode.tsm, `the TSM refused: ${error?.message ?? `HTTP ${status}`}`, { status, code: error?.code ?? 'unknown' }));
        });
        response.on('error', reject);
      });
      request.on('timeout', () => request.destroy(deviceError(DeviceErrorCode.tsm, 'the TSM did not answer in time')));
      request.on('error', (error) => reject(error));
      if (payload !== undefined) request.write(payload);
      request.end();
    });
  }
}
