import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommandAPDU } from '../../../src/lib/apdu.js';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import {
  computeAESKeyCheckValue,
  computeSCP03CardCryptogram,
  computeSCP03HostCryptogram,
  deriveSCP03SessionKeys,
  generateSCP03PseudoRandomCardChallenge,
  SCP03CardSession,
  SCP03HostSession,
} from '../../../src/lib/scp03/index.js';
import { type HexKeys, keysFrom, loadFixture } from './fixtures.js';

interface AsterixFixture {
  readonly keys: HexKeys;
  readonly securityDomainAID: string;
  readonly sequenceCounter: number;
  readonly keyDiversificationData: string;
  readonly hostChallenge: string;
  readonly initializeUpdateCommand: string;
  readonly cardChallenge: string;
  readonly sessionKeys: { readonly enc: string; readonly mac: string; readonly rmac: string };
  readonly cardCryptogram: string;
  readonly hostCryptogram: string;
  readonly initializeUpdateResponseData: string;
  readonly externalAuthenticateLevel01Command: string;
  readonly macChainingValueAfterExternalAuthenticate: string;
  readonly commandEncryption: { readonly securityLevel: 3; readonly plainCommand: string; readonly encryptedData: string };
}

interface KCVFixture {
  readonly keyCheckValues: { readonly source: string; readonly vectors: readonly { readonly key: string; readonly keyCheckValue: string }[] };
}

const asterix = loadFixture<AsterixFixture>('asterix-aes128-pseudo-random.json');
const keys = keysFrom(asterix.keys);
const hostChallenge = fromHex(asterix.hostChallenge);
const cardChallenge = fromHex(asterix.cardChallenge);

/** Runs asterix's handshake through both our sessions: the card derives its challenge, the host checks it. */
function asterixHandshake(level: 0x01 | 0x03): { host: SCP03HostSession; card: SCP03CardSession; externalAuthenticate: Uint8Array } {
  const card = new SCP03CardSession();
  const host = new SCP03HostSession({ keys });
  const initializeUpdate = host.initializeUpdate(hostChallenge);
  const result = card.handleInitializeUpdate(parseCommandAPDU(initializeUpdate), {
    keysets: [keys],
    keyDiversificationData: fromHex(asterix.keyDiversificationData),
    cardChallenge: { kind: 'pseudo-random', securityDomainAID: fromHex(asterix.securityDomainAID), sequenceCounter: asterix.sequenceCounter },
  });
  assert.ok(result.ok);
  host.processInitializeUpdateResponse(fromHex(`${toHex(result.data)}9000`));
  const externalAuthenticate = host.externalAuthenticate(level);
  const authenticated = card.handleExternalAuthenticate(parseCommandAPDU(externalAuthenticate));
  assert.ok(authenticated.ok);
  host.processExternalAuthenticateResponse(fromHex('9000'));
  return { host, card, externalAuthenticate };
}

describe(`SCP03 building blocks on asterix's published vectors (${asterix.source})`, () => {
  it('derives the pseudo-random card challenge from K-ENC, the sequence counter and the Security Domain AID', () => {
    const challenge = generateSCP03PseudoRandomCardChallenge(keys.enc, asterix.sequenceCounter, fromHex(asterix.securityDomainAID), 'S8');
    assert.equal(toHex(challenge), asterix.cardChallenge);
  });

  it('derives S-ENC, S-MAC and S-RMAC', () => {
    const sessionKeys = deriveSCP03SessionKeys(keys, hostChallenge, cardChallenge);
    assert.equal(toHex(sessionKeys.enc), asterix.sessionKeys.enc);
    assert.equal(toHex(sessionKeys.mac), asterix.sessionKeys.mac);
    assert.equal(toHex(sessionKeys.rmac), asterix.sessionKeys.rmac);
  });

  it('computes the card and host cryptograms', () => {
    const sessionMAC = fromHex(asterix.sessionKeys.mac);
    assert.equal(toHex(computeSCP03CardCryptogram(sessionMAC, hostChallenge, cardChallenge, 'S8')), asterix.cardCryptogram);
    assert.equal(toHex(computeSCP03HostCryptogram(sessionMAC, hostChallenge, cardChallenge, 'S8')), asterix.hostCryptogram);
  });

  it('builds INITIALIZE UPDATE (plus the Le 00 asterix leaves out)', () => {
    const host = new SCP03HostSession({ keys });
    assert.equal(toHex(host.initializeUpdate(hostChallenge)), `${asterix.initializeUpdateCommand}00`);
  });

  it('makes the card answer INITIALIZE UPDATE byte for byte and move the sequence counter on', () => {
    const card = new SCP03CardSession();
    const result = card.handleInitializeUpdate(parseCommandAPDU(fromHex(asterix.initializeUpdateCommand)), {
      keysets: [keys],
      keyDiversificationData: fromHex(asterix.keyDiversificationData),
      cardChallenge: { kind: 'pseudo-random', securityDomainAID: fromHex(asterix.securityDomainAID), sequenceCounter: asterix.sequenceCounter },
    });
    assert.ok(result.ok);
    assert.equal(toHex(result.data), asterix.initializeUpdateResponseData);
    assert.equal(result.nextSequenceCounter, asterix.sequenceCounter + 1);
    assert.equal(card.state, 'initialized');
  });

  it('builds EXTERNAL AUTHENTICATE at level 01 byte for byte, and the card accepts it', () => {
    const { externalAuthenticate, card } = asterixHandshake(0x01);
    assert.equal(toHex(externalAuthenticate), asterix.externalAuthenticateLevel01Command);
    assert.equal(card.securityLevel, 0x01);
    // The truncated C-MAC is the head of the 16-byte chaining value asterix publishes.
    assert.equal(toHex(externalAuthenticate.subarray(13)), asterix.macChainingValueAfterExternalAuthenticate.slice(0, 16));
  });

  it('encrypts the first command after EXTERNAL AUTHENTICATE at level 03 (C-DECRYPTION, counter 1)', () => {
    const { host, card } = asterixHandshake(0x03);
    const wrapped = host.wrapCommand(fromHex(asterix.commandEncryption.plainCommand));
    assert.equal(toHex(wrapped.subarray(5, wrapped.length - 8)), asterix.commandEncryption.encryptedData);
    const unwrapped = card.unwrapCommand(wrapped);
    assert.ok(unwrapped.ok);
    assert.deepEqual(unwrapped.command.data, parseCommandAPDU(fromHex(asterix.commandEncryption.plainCommand)).data);
  });

  it('moves the encryption counter on for a command without data, so the next ICV differs', () => {
    const { host, card } = asterixHandshake(0x03);
    const first = host.wrapCommand(fromHex('80CA006600'));
    assert.ok(card.unwrapCommand(first).ok);
    card.wrapResponse(new Uint8Array(0), 0x9000);
    host.unwrapResponse(fromHex('9000'));
    const second = host.wrapCommand(fromHex(asterix.commandEncryption.plainCommand));
    assert.notEqual(toHex(second.subarray(5, second.length - 8)), asterix.commandEncryption.encryptedData);
    const unwrapped = card.unwrapCommand(second);
    assert.ok(unwrapped.ok);
    assert.equal(toHex(unwrapped.command.data), asterix.commandEncryption.plainCommand.slice(10));
  });
});

describe('AES key check values on pySim vectors', () => {
  const { keyCheckValues } = loadFixture<KCVFixture>('pysim-euicc-transcripts.json');
  for (const vector of keyCheckValues.vectors) {
    it(`KCV of ${vector.key} is ${vector.keyCheckValue} (${keyCheckValues.source})`, () => {
      assert.equal(toHex(computeAESKeyCheckValue(fromHex(vector.key))), vector.keyCheckValue);
    });
  }
});
