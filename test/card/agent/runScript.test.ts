import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readCardCIN, runScript } from '../../../src/card/agent/index.js';
import { CardAgentErrorCode } from '../../../src/card/agent/errors.js';
import { createMemoryCard, newCardState, type SmartCard } from '../../../src/card/client.js';
import { concatBytes, fromHex, toHex } from '../../../src/lib/bytes.js';
import { createDeterministicRandomSource } from '../../../src/lib/crypto/index.js';
import { TesseraError } from '../../../src/lib/errors.js';
import { BadFormat, RAM_SCRIPT_BYTES_MAX, decodeResponseScript, encodeCommandScript } from '../../../src/lib/ram/index.js';

function memoryCard(seed: string): { card: SmartCard; cinHex: string } {
  const state = newCardState({ profile: 'uicc', random: createDeterministicRandomSource(new TextEncoder().encode(seed)) });
  const card = createMemoryCard(state, { firmware: new Map() });
  card.powerOn();
  return { card, cinHex: state.cinHex };
}

/** A card that answers each command from a list, recording what it was sent. */
function scriptedCard(answers: readonly Uint8Array[]): SmartCard & { readonly sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    atr: fromHex('3B00'),
    powerOn: () => fromHex('3B00'),
    powerOff: () => undefined,
    reset: () => fromHex('3B00'),
    transmit: (command) => {
      sent.push(toHex(command));
      return answers[sent.length - 1] ?? fromHex('6F00');
    },
  };
}

const never = (): boolean => false;

describe('readCardCIN', () => {
  it('reads the CIN with SELECT ISD and GET DATA 0045', () => {
    const { card, cinHex } = memoryCard('cin');
    assert.equal(readCardCIN(card), cinHex.toUpperCase());
  });
  it('fails with ERR_CARD_AGENT_CIN when the card does not answer it', () => {
    assert.throws(() => readCardCIN(scriptedCard([fromHex('6A82')])), (error: unknown) => error instanceof TesseraError && error.code === CardAgentErrorCode.cin);
    assert.throws(() => readCardCIN(scriptedCard([fromHex('9000'), fromHex('42029999' + '9000')])), (error: unknown) => error instanceof TesseraError && error.code === CardAgentErrorCode.cin);
  });
});

describe('runScript', () => {
  it('runs the commands in order on a real virtual card and answers one R-APDU each', () => {
    const { card, cinHex } = memoryCard('run');
    const run = runScript(card, encodeCommandScript([fromHex('00A4040008A00000015100000000'), fromHex('80CA004500')]), never);
    assert.ok(run.responseScript);
    const answer = decodeResponseScript(run.responseScript);
    assert.equal(answer.executedCount, 2);
    assert.equal(toHex(answer.responses[1] as Uint8Array), `4508${cinHex.toUpperCase()}9000`);
  });

  it('stops after the first command that fails; warnings go on', () => {
    const card = scriptedCard([fromHex('6283'), fromHex('6110'), fromHex('6A82'), fromHex('9000')]);
    const run = runScript(card, encodeCommandScript([fromHex('00000000'), fromHex('00000001'), fromHex('00000002'), fromHex('00000003')]), never);
    assert.equal(run.executedCount, 3);
    assert.deepEqual(card.sent.length, 3);
    assert.deepEqual(decodeResponseScript(run.responseScript ?? new Uint8Array()).responses.map(toHex), ['6283', '6110', '6A82']);
  });

  it('answers a script it cannot parse with a Bad format TLV and runs nothing', () => {
    const cases: [string, number][] = [
      ['AA0423020000', BadFormat.unknownTag],
      ['AA06220580CA0085', BadFormat.wrongLength],
      ['AA0122', BadFormat.lengthNotFound],
      ['AA03830101', BadFormat.unknownTag], // Script Chaining: not modelled
    ];
    for (const [hex, badFormat] of cases) {
      const card = scriptedCard([]);
      const run = runScript(card, fromHex(hex), never);
      assert.equal(run.badFormat, badFormat, hex);
      assert.equal(card.sent.length, 0);
      assert.equal(toHex(run.responseScript ?? new Uint8Array()), `AB0680010090010${badFormat}`);
    }
  });

  it('cuts a response that would not fit and ends the script with SW 62F1 (TS 102 226 §5.2.1.1)', () => {
    const huge = concatBytes(new Uint8Array(65_536), fromHex('9000'));
    const card = scriptedCard([huge, huge, huge]);
    const run = runScript(card, encodeCommandScript([fromHex('00000000'), fromHex('00000001'), fromHex('00000002')]), never);
    assert.ok(run.responseScript);
    assert.ok(run.responseScript.length <= RAM_SCRIPT_BYTES_MAX);
    const answer = decodeResponseScript(run.responseScript);
    assert.equal(answer.responses.length, 2);
    assert.equal(toHex((answer.responses[1] as Uint8Array).subarray(-2)), '62F1');
    assert.equal(card.sent.length, 2);
  });

  it('stops without an answer when told to stop', () => {
    const card = scriptedCard([fromHex('9000'), fromHex('9000')]);
    let calls = 0;
    const run = runScript(card, encodeCommandScript([fromHex('00000000'), fromHex('00000001')]), () => ++calls > 1);
    assert.equal(run.responseScript, undefined);
    assert.equal(card.sent.length, 1);
  });
});

describe('docs/ota.md worked example', () => {
  it('is what encodeCommandScript and runScript produce on the example card', () => {
    const state = newCardState({
      profile: 'uicc',
      random: createDeterministicRandomSource(new TextEncoder().encode('docs/ota.md')),
      manufacturedAt: new Date('2025-01-01T00:00:00Z'),
    });
    const card = createMemoryCard(state, { firmware: new Map() });
    card.powerOn();
    assert.equal(state.cinHex.toUpperCase(), 'A1AD5D3ADFB4660A');
    const script = encodeCommandScript(['00A4040008A00000015100000000', '80CA9F7F00', '00A4040005F0FFFFFFFF00', '80CA004500'].map(fromHex));
    assert.equal(toHex(script), 'AA2B220E00A4040008A00000015100000000220580CA9F7F00220B00A4040005F0FFFFFFFF00220580CA004500');
    const run = runScript(card, script, never);
    assert.equal(
      toHex(run.responseScript ?? new Uint8Array()),
      'AB4E80010323146F108408A000000151000000A5049F6501FF9000232F9F7F2A544500015453500101005001AF9CBFB9F79A'
        + '0'.repeat(48) + '900023026A82',
    );
  });
});
