import assert from 'node:assert/strict';
import { parseCommandAPDU } from '../../../src/lib/apdu.js';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { createDeterministicRandomSource, type RandomSource } from '../../../src/lib/crypto/index.js';
import {
  SCP03CardSession,
  SCP03HostSession,
  type SCP03CardSessionOptions,
  type SCP03InitializeUpdateContext,
  type SCP03Mode,
  type SCP03SecurityLevel,
  type SCP03StaticKeys,
} from '../../../src/lib/scp03/index.js';

/** CONSTRUCTED test keys (not from any publication): a keyset of the given AES size from a seed. */
export function constructedKeys(keyBytes: 16 | 24 | 32, seed: string, keyVersion = 0x30): SCP03StaticKeys {
  const random = createDeterministicRandomSource(new TextEncoder().encode(seed));
  return { keyVersion, enc: random.bytes(keyBytes), mac: random.bytes(keyBytes), dek: random.bytes(keyBytes) };
}

export interface PairOptions {
  readonly keys?: SCP03StaticKeys;
  readonly mode?: SCP03Mode;
  readonly logicalChannel?: number;
  readonly card?: SCP03CardSessionOptions;
  readonly context?: Partial<SCP03InitializeUpdateContext>;
  readonly random?: RandomSource;
}

/** A card and a host session that have run INITIALIZE UPDATE; the host has checked the card. */
export function initializedPair(options: PairOptions = {}): {
  readonly card: SCP03CardSession;
  readonly host: SCP03HostSession;
  readonly keys: SCP03StaticKeys;
  readonly hostChallenge: Uint8Array;
  readonly cardResponse: Uint8Array;
} {
  const keys = options.keys ?? constructedKeys(16, 'scp03 negative tests');
  const mode = options.mode ?? 'S8';
  const random = options.random ?? createDeterministicRandomSource(fromHex('5C03'));
  const card = new SCP03CardSession({ mode, ...options.card });
  const host = new SCP03HostSession({ keys, mode, logicalChannel: options.logicalChannel ?? 0, random });
  const initializeUpdate = host.initializeUpdate();
  const hostChallenge = parseCommandAPDU(initializeUpdate).data;
  const result = card.handleInitializeUpdate(parseCommandAPDU(initializeUpdate), {
    keysets: [keys],
    keyDiversificationData: new Uint8Array(10),
    cardChallenge: { kind: 'random', random },
    ...options.context,
  });
  assert.ok(result.ok, `INITIALIZE UPDATE: ${result.ok ? '' : result.reason}`);
  const cardResponse = fromHex(`${toHex(result.data)}9000`);
  host.processInitializeUpdateResponse(cardResponse);
  return { card, host, keys, hostChallenge, cardResponse };
}

/** A card and a host with an open session at `level`. */
export function authenticatedPair(level: SCP03SecurityLevel, options: PairOptions = {}): ReturnType<typeof initializedPair> {
  const pair = initializedPair(options);
  const result = pair.card.handleExternalAuthenticate(parseCommandAPDU(pair.host.externalAuthenticate(level)));
  assert.ok(result.ok, `EXTERNAL AUTHENTICATE: ${result.ok ? '' : result.reason}`);
  pair.host.processExternalAuthenticateResponse(fromHex('9000'));
  return pair;
}

/** Flips one bit of a copy. */
export function flipBit(bytes: Uint8Array, index: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  const position = index < 0 ? copy.length + index : index;
  copy[position] = (copy[position] ?? 0) ^ 0x01;
  return copy;
}
