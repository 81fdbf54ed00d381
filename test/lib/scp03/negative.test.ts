import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeCommandAPDU, parseCommandAPDU } from '../../../src/lib/apdu.js';
import { concatBytes, fromHex, toHex } from '../../../src/lib/bytes.js';
import { encryptAESCBC, encryptAESECB } from '../../../src/lib/crypto/index.js';
import { LibErrorCode } from '../../../src/lib/errors.js';
import {
  computeSCP03HostCryptogram,
  deriveSCP03SessionKeys,
  SCP03_CARD_FAILURE_STATUS_WORDS,
  SCP03_SEQUENCE_COUNTER_MAX,
  SCP03CardSession,
  SCP03HostSession,
  type SCP03SecurityLevel,
} from '../../../src/lib/scp03/index.js';
import {
  computeSCP03CommandMAC,
  computeSCP03ResponseMAC,
  encodeEncryptionCounter,
  lcField,
} from '../../../src/lib/scp03/secureMessaging.js';
import { isTesseraErrorWithCode } from './fixtures.js';
import { authenticatedPair, constructedKeys, flipBit, initializedPair } from './helpers.js';

const isVerifyError = isTesseraErrorWithCode(LibErrorCode.cryptoVerify);
const isStateError = isTesseraErrorWithCode(LibErrorCode.scp03State);
const isCardResponseError = isTesseraErrorWithCode(LibErrorCode.scp03CardResponse);
const VERIFICATION_FAILED = { ok: false, reason: 'verificationFailed', sw: 0x6982 } as const;
const NO_SESSION = { ok: false, reason: 'noSession', sw: 0x6982 } as const;
const GET_DATA = fromHex('80CA006600');
const STORE_DATA = fromHex('80E2900003DF0100');

/** The card's chaining state, recomputed from public transcript values and the keys (test-only knowledge). */
function recomputeSessionKeys(pair: ReturnType<typeof initializedPair>): ReturnType<typeof deriveSCP03SessionKeys> {
  return deriveSCP03SessionKeys(pair.keys, pair.hostChallenge, pair.cardResponse.subarray(13, 21));
}

describe('SCP03 handshake refusals', () => {
  it('the host refuses a wrong card cryptogram, and then has no session', () => {
    const keys = constructedKeys(16, 'card keys');
    const card = new SCP03CardSession();
    const host = new SCP03HostSession({ keys });
    const result = card.handleInitializeUpdate(parseCommandAPDU(host.initializeUpdate()), {
      keysets: [{ ...keys, mac: constructedKeys(16, 'other keys').mac }],
      keyDiversificationData: new Uint8Array(10),
      cardChallenge: { kind: 'pseudo-random', securityDomainAID: fromHex('A000000151000000'), sequenceCounter: 7 },
    });
    assert.ok(result.ok);
    assert.throws(() => host.processInitializeUpdateResponse(concatBytes(result.data, fromHex('9000'))), isVerifyError);
    assert.equal(host.state, 'idle');
    assert.throws(() => host.externalAuthenticate(0x01), isStateError);
    assert.throws(() => host.wrapCommand(GET_DATA), isStateError);
  });

  it('the host refuses a tampered card cryptogram with the same error as a wrong key', () => {
    const pair = initializedPair();
    const host = new SCP03HostSession({ keys: pair.keys });
    host.initializeUpdate(pair.hostChallenge);
    assert.throws(() => host.processInitializeUpdateResponse(flipBit(pair.cardResponse, -3)), isVerifyError);
  });

  it('the host reports a card refusal of INITIALIZE UPDATE with its status word', () => {
    const host = new SCP03HostSession({ keys: constructedKeys(16, 'k') });
    host.initializeUpdate();
    assert.throws(
      () => host.processInitializeUpdateResponse(fromHex('6A88')),
      (error: unknown) => isCardResponseError(error) && (error as { details?: { sw?: string } }).details?.sw === '6A88',
    );
  });

  it('the card answers a wrong host cryptogram (under a valid C-MAC) with 6300 and opens no session', () => {
    const pair = initializedPair();
    const sessionKeys = recomputeSessionKeys(pair);
    // A host that swapped the challenges: its cryptogram is wrong, its C-MAC over it is right.
    const wrongCryptogram = computeSCP03HostCryptogram(sessionKeys.mac, pair.cardResponse.subarray(13, 21), pair.hostChallenge, 'S8');
    const header = { cla: 0x84, ins: 0x82, p1: 0x01, p2: 0x00 };
    const mac = computeSCP03CommandMAC(sessionKeys.mac, new Uint8Array(16), header, lcField(16, false), wrongCryptogram);
    const command = { ...header, data: concatBytes(wrongCryptogram, mac.subarray(0, 8)) };
    assert.deepEqual(pair.card.handleExternalAuthenticate(command), { ok: false, reason: 'hostCryptogramInvalid', sw: 0x6300 });
    assert.equal(pair.card.state, 'idle');
    assert.equal(pair.card.securityLevel, undefined);
    assert.deepEqual(pair.card.unwrapCommand(GET_DATA), NO_SESSION);
  });

  it('the card answers a bad C-MAC on EXTERNAL AUTHENTICATE with 6982 and opens no session', () => {
    const pair = initializedPair();
    const externalAuthenticate = flipBit(pair.host.externalAuthenticate(0x01), -1);
    assert.deepEqual(pair.card.handleExternalAuthenticate(parseCommandAPDU(externalAuthenticate)), VERIFICATION_FAILED);
    assert.equal(pair.card.state, 'idle');
    // The handshake is used up: the genuine EXTERNAL AUTHENTICATE now finds nothing pending.
    assert.deepEqual(pair.card.handleExternalAuthenticate(parseCommandAPDU(flipBit(externalAuthenticate, -1))), {
      ok: false,
      reason: 'noPendingInitializeUpdate',
      sw: 0x6985,
    });
  });

  it('the host closes on 6300 from EXTERNAL AUTHENTICATE', () => {
    const pair = initializedPair();
    pair.host.externalAuthenticate(0x01);
    assert.throws(() => pair.host.processExternalAuthenticateResponse(fromHex('6300')), isCardResponseError);
    assert.equal(pair.host.state, 'idle');
  });

  it('EXTERNAL AUTHENTICATE without INITIALIZE UPDATE is refused with 6985', () => {
    const card = new SCP03CardSession();
    assert.deepEqual(card.handleExternalAuthenticate(parseCommandAPDU(fromHex('84820100100000000000000000000000000000000000'))), {
      ok: false,
      reason: 'noPendingInitializeUpdate',
      sw: 0x6985,
    });
  });

  it('INITIALIZE UPDATE: unknown key version 6A88, wrong Lc 6700, P2 not 00 6A86, secure messaging class 6E00', () => {
    const keys = constructedKeys(16, 'k', 0x30);
    const context = { keysets: [keys], keyDiversificationData: new Uint8Array(10), cardChallenge: { kind: 'pseudo-random', securityDomainAID: fromHex('A000000151000000'), sequenceCounter: 1 } } as const;
    const card = new SCP03CardSession();
    const reasonOf = (hex: string): string => {
      const result = card.handleInitializeUpdate(parseCommandAPDU(fromHex(hex)), context);
      return result.ok ? 'ok' : `${result.reason} ${result.sw.toString(16)}`;
    };
    assert.equal(reasonOf('80503100080102030405060708'), 'keyVersionNotFound 6a88');
    assert.equal(reasonOf('805030000701020304050607'), 'wrongLength 6700');
    assert.equal(reasonOf('80503001080102030405060708'), 'incorrectParameters 6a86');
    assert.equal(reasonOf('84503000080102030405060708'), 'classNotSupported 6e00');
    assert.equal(reasonOf('80503000080102030405060708'), 'ok');
    assert.equal(reasonOf('80500000080102030405060708'), 'ok', 'P1 00 takes the first keyset');
  });

  it('an exhausted sequence counter gives no pseudo-random challenge (6985); the last value still works', () => {
    const keys = constructedKeys(16, 'k');
    const card = new SCP03CardSession();
    const command = parseCommandAPDU(fromHex('80503000080102030405060708'));
    const contextAt = (sequenceCounter: number) =>
      ({ keysets: [keys], keyDiversificationData: new Uint8Array(10), cardChallenge: { kind: 'pseudo-random', securityDomainAID: fromHex('A000000151000000'), sequenceCounter } }) as const;
    const last = card.handleInitializeUpdate(command, contextAt(SCP03_SEQUENCE_COUNTER_MAX));
    assert.ok(last.ok);
    assert.equal(last.nextSequenceCounter, SCP03_SEQUENCE_COUNTER_MAX + 1);
    assert.deepEqual(card.handleInitializeUpdate(command, contextAt(SCP03_SEQUENCE_COUNTER_MAX + 1)), {
      ok: false,
      reason: 'sequenceCounterExhausted',
      sw: 0x6985,
    });
  });
});

describe('SCP03 security levels', () => {
  it('the card refuses a level its policy does not allow with 6982', () => {
    const pair = initializedPair({ card: { allowedSecurityLevels: [0x33] } });
    assert.deepEqual(pair.card.handleExternalAuthenticate(parseCommandAPDU(pair.host.externalAuthenticate(0x01))), {
      ok: false,
      reason: 'securityLevelNotAllowed',
      sw: 0x6982,
    });
  });

  it('the card refuses an undefined level (00, 02, 31) with 6A86', () => {
    for (const level of [0x00, 0x02, 0x31]) {
      const pair = initializedPair();
      const genuine = parseCommandAPDU(pair.host.externalAuthenticate(0x01));
      assert.deepEqual(pair.card.handleExternalAuthenticate({ ...genuine, p1: level }), {
        ok: false,
        reason: 'incorrectParameters',
        sw: 0x6a86,
      });
    }
  });

  it('a card without R-ENCRYPTION support refuses level 33 (6A86); the host will not even ask', () => {
    const pair = initializedPair({ card: { responseEncryptionSupported: false } });
    assert.equal(pair.host.cardInformation?.parameter.responseEncryptionSupported, false);
    assert.throws(() => pair.host.externalAuthenticate(0x33), isCardResponseError);
    const level11 = parseCommandAPDU(pair.host.externalAuthenticate(0x11));
    assert.deepEqual(pair.card.handleExternalAuthenticate({ ...level11, p1: 0x33 }), { ok: false, reason: 'incorrectParameters', sw: 0x6a86 });
  });

  it('the host refuses to request an undefined level', () => {
    const pair = initializedPair();
    assert.throws(() => pair.host.externalAuthenticate(0x02 as SCP03SecurityLevel), isTesseraErrorWithCode(LibErrorCode.cryptoInput));
  });
});

describe('SCP03 secured commands', () => {
  it('nothing passes before authentication: card answers 6982, host refuses to wrap', () => {
    const card = new SCP03CardSession();
    assert.deepEqual(card.unwrapCommand(GET_DATA), NO_SESSION);
    const host = new SCP03HostSession({ keys: constructedKeys(16, 'k') });
    assert.throws(() => host.wrapCommand(GET_DATA), isStateError);
    assert.throws(() => host.unwrapResponse(fromHex('9000')), isStateError);
  });

  it('a command between INITIALIZE UPDATE and EXTERNAL AUTHENTICATE aborts the handshake', () => {
    const pair = initializedPair();
    assert.deepEqual(pair.card.unwrapCommand(fromHex('84CA0066080000000000000000')), NO_SESSION);
    assert.equal(pair.card.state, 'idle');
    const result = pair.card.handleExternalAuthenticate(parseCommandAPDU(pair.host.externalAuthenticate(0x01)));
    assert.equal(result.ok ? 'ok' : result.reason, 'noPendingInitializeUpdate');
  });

  it('a tampered C-MAC gets 6982 and ends the session: the next genuine command is refused too', () => {
    const { card, host } = authenticatedPair(0x33);
    const first = host.wrapCommand(STORE_DATA);
    assert.deepEqual(card.unwrapCommand(flipBit(first, -1)), VERIFICATION_FAILED);
    assert.equal(card.state, 'idle');
    assert.equal(card.securityLevel, undefined);
    assert.deepEqual(card.unwrapCommand(first), NO_SESSION);
    // The refusal goes out unprotected.
    assert.equal(toHex(card.wrapResponse(new Uint8Array(0), 0x6982)), '6982');
  });

  it('tampering with any byte of a wrapped command (header, Lc, data, MAC) fails the same way', () => {
    const reference = authenticatedPair(0x13).host.wrapCommand(STORE_DATA);
    for (let index = 0; index < reference.length; index++) {
      if (index === 4) continue; // Lc: a changed Lc no longer frames the APDU, covered by the parse failure below
      const { card, host } = authenticatedPair(0x13);
      const wrapped = host.wrapCommand(STORE_DATA);
      assert.deepEqual(card.unwrapCommand(flipBit(wrapped, index)), VERIFICATION_FAILED, `byte ${index}`);
    }
    const { card, host } = authenticatedPair(0x13);
    const unframed = flipBit(host.wrapCommand(STORE_DATA), 4);
    assert.deepEqual(card.unwrapCommand(unframed), { ok: false, reason: 'wrongLength', sw: 0x6700 });
    assert.equal(card.state, 'idle');
  });

  it('a replayed wrapped command fails: the MAC chain has moved on', () => {
    const { card, host } = authenticatedPair(0x01);
    const wrapped = host.wrapCommand(GET_DATA);
    assert.ok(card.unwrapCommand(wrapped).ok);
    host.unwrapResponse(card.wrapResponse(fromHex('01'), 0x9000));
    assert.deepEqual(card.unwrapCommand(wrapped), VERIFICATION_FAILED);
  });

  it('a command without secure messaging in CLA, or on another logical channel, fails like a bad MAC', () => {
    const plain = authenticatedPair(0x01);
    assert.deepEqual(plain.card.unwrapCommand(GET_DATA), VERIFICATION_FAILED);
    const other = authenticatedPair(0x01);
    const wrapped = other.host.wrapCommand(GET_DATA);
    wrapped[0] = 0x85; // channel 1, while the session runs on channel 0
    assert.deepEqual(other.card.unwrapCommand(wrapped), VERIFICATION_FAILED);
  });

  it('a wrong padding under a valid C-MAC fails exactly like a wrong C-MAC (no padding oracle)', () => {
    const pair = authenticatedPair(0x03);
    const sessionKeys = recomputeSessionKeys(pair);
    const externalAuthenticateMAC = computeSCP03CommandMAC(
      sessionKeys.mac,
      new Uint8Array(16),
      { cla: 0x84, ins: 0x82, p1: 0x03, p2: 0x00 },
      lcField(16, false),
      computeSCP03HostCryptogram(sessionKeys.mac, pair.hostChallenge, pair.cardResponse.subarray(13, 21), 'S8'),
    );
    // One block of plaintext without the '80' marker, encrypted and MACed correctly for counter 1.
    const icv = encryptAESECB(sessionKeys.enc, encodeEncryptionCounter(1, false));
    const ciphertext = encryptAESCBC(sessionKeys.enc, icv, new Uint8Array(16).fill(0x41));
    const header = { cla: 0x84, ins: 0xe2, p1: 0x90, p2: 0x00 };
    const mac = computeSCP03CommandMAC(sessionKeys.mac, externalAuthenticateMAC, header, lcField(24, false), ciphertext);
    const command = encodeCommandAPDU({ ...header, data: concatBytes(ciphertext, mac.subarray(0, 8)) });
    assert.deepEqual(pair.card.unwrapCommand(command), VERIFICATION_FAILED);
    assert.equal(pair.card.state, 'idle');
  });

  it('the host pipelines commands: each response is checked against its own command, in order', () => {
    const { card, host } = authenticatedPair(0x33);
    const commands = [GET_DATA, STORE_DATA, GET_DATA].map((command) => host.wrapCommand(command));
    const responses = commands.map((command, index) => {
      assert.ok(card.unwrapCommand(command).ok);
      return card.wrapResponse(Uint8Array.of(index, 0xaa), 0x9000);
    });
    for (const [index, response] of responses.entries()) assert.deepEqual(host.unwrapResponse(response), { data: Uint8Array.of(index, 0xaa), sw: 0x9000 });
    assert.throws(() => host.unwrapResponse(responses[0] ?? new Uint8Array()), isStateError);
  });

  it('pipelined responses out of order are refused and close the host session', () => {
    const { card, host } = authenticatedPair(0x33);
    const commands = [GET_DATA, GET_DATA].map((command) => host.wrapCommand(command));
    const responses = commands.map((command) => {
      assert.ok(card.unwrapCommand(command).ok);
      return card.wrapResponse(fromHex('0102'), 0x9000);
    });
    assert.throws(() => host.unwrapResponse(responses[1] ?? new Uint8Array()), isVerifyError);
    assert.equal(host.state, 'idle');
  });

  it('EXTERNAL AUTHENTICATE sent ahead: the commands after it run in the session it opens', () => {
    const { card, host } = initializedPair();
    const script = [host.externalAuthenticateAhead(0x33), host.wrapCommand(GET_DATA), host.wrapCommand(STORE_DATA)];
    assert.equal(host.state, 'authenticated');
    assert.ok(card.handleExternalAuthenticate(parseCommandAPDU(script[0] ?? new Uint8Array())).ok);
    const answers = script.slice(1).map((command, index) => {
      assert.ok(card.unwrapCommand(command).ok);
      return card.wrapResponse(Uint8Array.of(index), 0x9000);
    });
    assert.deepEqual(host.unwrapResponse(fromHex('9000')), { data: new Uint8Array(), sw: 0x9000 });
    assert.deepEqual(answers.map((answer) => host.unwrapResponse(answer)), [{ data: Uint8Array.of(0), sw: 0x9000 }, { data: Uint8Array.of(1), sw: 0x9000 }]);
  });

  it('EXTERNAL AUTHENTICATE sent ahead and refused (6300, or data with 9000) closes the host session', () => {
    for (const answer of ['6300', '019000']) {
      const { host } = initializedPair();
      host.externalAuthenticateAhead(0x01);
      host.wrapCommand(GET_DATA);
      assert.throws(() => host.unwrapResponse(fromHex(answer)), isCardResponseError);
      assert.equal(host.state, 'idle');
      assert.throws(() => host.wrapCommand(GET_DATA), isStateError);
    }
  });

  it('the host refuses a command for another channel', () => {
    const fresh = authenticatedPair(0x01);
    assert.throws(() => fresh.host.wrapCommand(fromHex('81CA006600')), isTesseraErrorWithCode(LibErrorCode.apduMalformed));
    assert.throws(() => fresh.host.wrapCommand(fromHex('84CA006600')), isTesseraErrorWithCode(LibErrorCode.apduMalformed));
  });
});

describe('SCP03 secured responses', () => {
  it('a tampered R-MAC is refused and the host session closes', () => {
    const { card, host } = authenticatedPair(0x11);
    assert.ok(card.unwrapCommand(host.wrapCommand(GET_DATA)).ok);
    const response = card.wrapResponse(fromHex('0102030405'), 0x9000);
    assert.throws(() => host.unwrapResponse(flipBit(response, -3)), isVerifyError);
    assert.equal(host.state, 'idle');
    assert.throws(() => host.wrapCommand(GET_DATA), isStateError);
  });

  it('a response with its R-MAC cut off, or a changed status word, is refused', () => {
    for (const tamper of [(r: Uint8Array) => r.slice(8), (r: Uint8Array) => flipBit(r, -1)]) {
      const { card, host } = authenticatedPair(0x33);
      assert.ok(card.unwrapCommand(host.wrapCommand(GET_DATA)).ok);
      assert.throws(() => host.unwrapResponse(tamper(card.wrapResponse(fromHex('0102030405'), 0x9000))), isVerifyError);
    }
  });

  it('a replayed protected response is refused: the R-MAC is chained to its command', () => {
    const { card, host } = authenticatedPair(0x11);
    assert.ok(card.unwrapCommand(host.wrapCommand(GET_DATA)).ok);
    const first = card.wrapResponse(fromHex('0102'), 0x9000);
    host.unwrapResponse(first);
    assert.ok(card.unwrapCommand(host.wrapCommand(GET_DATA)).ok);
    card.wrapResponse(fromHex('0102'), 0x9000);
    assert.throws(() => host.unwrapResponse(first), isVerifyError);
  });

  it('error status words go out alone, without data or R-MAC; data on one is refused', () => {
    const { card, host } = authenticatedPair(0x33);
    assert.ok(card.unwrapCommand(host.wrapCommand(GET_DATA)).ok);
    const response = card.wrapResponse(fromHex('DEADBEEF'), 0x6a82);
    assert.equal(toHex(response), '6A82');
    assert.deepEqual(host.unwrapResponse(response), { data: new Uint8Array(0), sw: 0x6a82 });
    assert.ok(card.unwrapCommand(host.wrapCommand(GET_DATA)).ok);
    assert.throws(() => host.unwrapResponse(fromHex('01020304050607086A82')), isVerifyError);
  });

  it('warnings (62XX, 63XX) are protected like 9000', () => {
    const { card, host } = authenticatedPair(0x33);
    assert.ok(card.unwrapCommand(host.wrapCommand(GET_DATA)).ok);
    const response = card.wrapResponse(fromHex('0A0B'), 0x6310);
    assert.equal(response.length, 16 + 8 + 2);
    assert.deepEqual(host.unwrapResponse(response), { data: fromHex('0A0B'), sw: 0x6310 });
  });

  it('a wrong R-ENC padding under a valid R-MAC fails exactly like a wrong R-MAC', () => {
    const pair = authenticatedPair(0x33);
    const wrapped = pair.host.wrapCommand(GET_DATA);
    assert.ok(pair.card.unwrapCommand(wrapped).ok);
    const sessionKeys = recomputeSessionKeys(pair);
    const commandMAC = computeSCP03CommandMAC(
      sessionKeys.mac,
      computeSCP03CommandMAC(
        sessionKeys.mac,
        new Uint8Array(16),
        { cla: 0x84, ins: 0x82, p1: 0x33, p2: 0x00 },
        lcField(16, false),
        computeSCP03HostCryptogram(sessionKeys.mac, pair.hostChallenge, pair.cardResponse.subarray(13, 21), 'S8'),
      ),
      { cla: 0x84, ins: 0xca, p1: 0x00, p2: 0x66 },
      lcField(8, false),
      new Uint8Array(0),
    );
    assert.equal(toHex(commandMAC.subarray(0, 8)), toHex(wrapped.subarray(5, 13)), 'the recomputed chain matches');
    const icv = encryptAESECB(sessionKeys.enc, encodeEncryptionCounter(1, true));
    const ciphertext = encryptAESCBC(sessionKeys.enc, icv, new Uint8Array(16).fill(0x41));
    const rmac = computeSCP03ResponseMAC(sessionKeys.rmac, commandMAC, ciphertext, 0x9000);
    assert.throws(() => pair.host.unwrapResponse(concatBytes(ciphertext, rmac.subarray(0, 8), fromHex('9000'))), isVerifyError);
  });

  it('the card leaves responses it did not unwrap a command for unprotected', () => {
    const { card } = authenticatedPair(0x33);
    assert.equal(toHex(card.wrapResponse(fromHex('01'), 0x9000)), '019000');
  });
});

describe('SCP03 status words', () => {
  it('maps every failure reason to the documented status word', () => {
    assert.deepEqual(SCP03_CARD_FAILURE_STATUS_WORDS, {
      classNotSupported: 0x6e00,
      wrongLength: 0x6700,
      incorrectParameters: 0x6a86,
      keyVersionNotFound: 0x6a88,
      sequenceCounterExhausted: 0x6985,
      noPendingInitializeUpdate: 0x6985,
      securityLevelNotAllowed: 0x6982,
      verificationFailed: 0x6982,
      hostCryptogramInvalid: 0x6300,
      noSession: 0x6982,
    });
  });
});
