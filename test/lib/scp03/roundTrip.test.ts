import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeCLA, isValidINS, parseCommandAPDU, type CommandAPDU } from '../../../src/lib/apdu.js';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { createDeterministicRandomSource } from '../../../src/lib/crypto/index.js';
import { TesseraError } from '../../../src/lib/errors.js';
import {
  macInputCLA,
  openSCP03,
  SCP03_SECURITY_LEVELS,
  SCP03CardSession,
  type SCP03Mode,
  type SCP03SecurityLevel,
} from '../../../src/lib/scp03/index.js';
import { authenticatedPair, constructedKeys } from './helpers.js';

const PROTECTED_STATUS_WORDS = [0x9000, 0x6283, 0x6310, 0x63c2];
const ERROR_STATUS_WORDS = [0x6a82, 0x6982, 0x6d00, 0x6700];

interface Exchange {
  readonly command: Omit<CommandAPDU, 'cla'> & { readonly interindustry: boolean };
  readonly responseData: Uint8Array;
  readonly sw: number;
}

const exchangeArbitrary: fc.Arbitrary<Exchange> = fc.record({
  command: fc.record(
    {
      interindustry: fc.boolean(),
      ins: fc.integer({ min: 0, max: 255 }).filter((ins) => isValidINS(ins) && ins !== 0x50 && ins !== 0x82),
      p1: fc.integer({ min: 0, max: 255 }),
      p2: fc.integer({ min: 0, max: 255 }),
      data: fc.uint8Array({ maxLength: 300 }),
      le: fc.integer({ min: 1, max: 65_536 }),
    },
    { requiredKeys: ['interindustry', 'ins', 'p1', 'p2', 'data'] },
  ),
  responseData: fc.uint8Array({ maxLength: 300 }),
  sw: fc.constantFrom(...PROTECTED_STATUS_WORDS, ...ERROR_STATUS_WORDS),
});

const sessionArbitrary = fc.record({
  keyBytes: fc.constantFrom<16 | 24 | 32>(16, 24, 32),
  mode: fc.constantFrom<SCP03Mode>('S8', 'S16'),
  level: fc.constantFrom<SCP03SecurityLevel>(...SCP03_SECURITY_LEVELS),
  logicalChannel: fc.integer({ min: 0, max: 19 }),
  seed: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  exchanges: fc.array(exchangeArbitrary, { minLength: 1, maxLength: 5 }),
});

describe('SCP03 card and host round trip (property)', () => {
  it('every command arrives as sent and every response as answered, at every level, key size, mode and channel', () => {
    fc.assert(
      fc.property(sessionArbitrary, ({ keyBytes, mode, level, logicalChannel, seed, exchanges }) => {
        const keys = constructedKeys(keyBytes, toHex(seed));
        const { card, host } = authenticatedPair(level, { keys, mode, logicalChannel, random: createDeterministicRandomSource(seed) });
        assert.equal(card.securityLevel, level);
        assert.equal(card.logicalChannel, logicalChannel);
        for (const { command, responseData, sw } of exchanges) {
          const { interindustry, ...rest } = command;
          const cla = encodeCLA({ interindustry, logicalChannel, secureMessaging: 'none', chaining: false });
          const sent: CommandAPDU = { cla, ...rest };
          const result = card.unwrapCommand(host.wrapCommand(sent));
          assert.ok(result.ok, 'the card accepts what the host wrapped');
          assert.deepEqual({ ...result.command, data: toHex(result.command.data) }, { ...sent, data: toHex(sent.data) });

          const answered = host.unwrapResponse(card.wrapResponse(responseData, sw));
          assert.equal(answered.sw, sw);
          const dataSurvives = (level & 0x10) === 0 || PROTECTED_STATUS_WORDS.includes(sw);
          assert.equal(toHex(answered.data), dataSurvives ? toHex(responseData) : '');
        }
      }),
      { numRuns: 80 },
    );
  });

  it('no byte string crashes the card: unwrapCommand always returns a result', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const { card } = authenticatedPair(0x33);
        const result = card.unwrapCommand(bytes);
        assert.equal(result.ok, false);
        assert.equal(card.state, 'idle');
      }),
      { numRuns: 200 },
    );
  });

  it('no byte string crashes the host: unwrapResponse throws only TesseraErrors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom<SCP03SecurityLevel>(...SCP03_SECURITY_LEVELS), (bytes, level) => {
        const { host } = authenticatedPair(level);
        host.wrapCommand(fromHex('80CA006600'));
        try {
          host.unwrapResponse(bytes);
        } catch (error) {
          assert.ok(error instanceof TesseraError);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('SCP03 class byte and logical channels', () => {
  it('MACs the class byte with the logical channel set to zero (Amendment D §6.2.4)', () => {
    assert.equal(macInputCLA(0x84), 0x84);
    assert.equal(macInputCLA(0x87), 0x84);
    assert.equal(macInputCLA(0xe5), 0x84);
    assert.equal(macInputCLA(0x04), 0x04);
    assert.equal(macInputCLA(0x95), 0x94, 'the chaining bit is kept');
  });

  it('a session on channel 1 sends the same bytes as on channel 0 except the class byte', () => {
    const random = (): ReturnType<typeof createDeterministicRandomSource> => createDeterministicRandomSource(fromHex('0C'));
    const onChannel0 = authenticatedPair(0x13, { random: random() });
    const onChannel1 = authenticatedPair(0x13, { random: random(), logicalChannel: 1 });
    const wrapped0 = onChannel0.host.wrapCommand(fromHex('80E2900003DF0100'));
    const wrapped1 = onChannel1.host.wrapCommand(fromHex('81E2900003DF0100'));
    assert.equal(wrapped0[0], 0x84);
    assert.equal(wrapped1[0], 0x85);
    assert.equal(toHex(wrapped1.subarray(1)), toHex(wrapped0.subarray(1)));
    const unwrapped = onChannel1.card.unwrapCommand(wrapped1);
    assert.ok(unwrapped.ok);
    assert.equal(unwrapped.command.cla, 0x81);
  });

  it('uses the further interindustry coding on channels 4-19 (secure messaging in b6)', () => {
    const { card, host } = authenticatedPair(0x01, { logicalChannel: 7 });
    const wrapped = host.wrapCommand(fromHex('C3CA006600'));
    assert.equal(wrapped[0], 0xe3);
    const unwrapped = card.unwrapCommand(wrapped);
    assert.ok(unwrapped.ok);
    assert.equal(unwrapped.command.cla, 0xc3);
  });

  it('runs the handshake on the logical channel: INITIALIZE UPDATE 81, EXTERNAL AUTHENTICATE 85', () => {
    const card = new SCP03CardSession();
    const keys = constructedKeys(32, 'channel');
    const transcript: string[] = [];
    const transmit = (command: Uint8Array): Uint8Array => {
      transcript.push(toHex(command.subarray(0, 2)));
      const parsed = parseCommandAPDU(command);
      if (parsed.ins === 0x50) {
        const result = card.handleInitializeUpdate(parsed, {
          keysets: [keys],
          keyDiversificationData: new Uint8Array(10),
          cardChallenge: { kind: 'random', random: createDeterministicRandomSource(fromHex('01')) },
        });
        assert.ok(result.ok);
        return card.wrapResponse(result.data, result.sw);
      }
      if (parsed.ins === 0x82) return card.wrapResponse(new Uint8Array(0), card.handleExternalAuthenticate(parsed).sw);
      const unwrapped = card.unwrapCommand(command);
      return unwrapped.ok ? card.wrapResponse(unwrapped.command.data, 0x9000) : card.wrapResponse(new Uint8Array(0), unwrapped.sw);
    };
    return openSCP03(transmit, keys, { securityLevel: 0x33, logicalChannel: 1 }).then(async (channel) => {
      const echoed = await Promise.all([channel.transmit(fromHex('81E2000003010203')), channel.transmit(fromHex('81E2000102AABB'))]);
      assert.deepEqual(echoed.map(toHex), ['0102039000', 'AABB9000']);
      assert.deepEqual(transcript, ['8150', '8582', '85E2', '85E2']);
    });
  });
});
