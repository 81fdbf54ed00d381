import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VPCD_MESSAGE_BYTES_MAX, VpcdControl, handleVpcdMessage } from '../../../src/card/vpcd/index.js';
import type { SmartCard } from '../../../src/card/types.js';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { ISD_AID_HEX, ISD_FCI_HEX, TEST_ATR, TestCard } from './testCard.js';

const control = (value: number): Uint8Array => Uint8Array.of(value);

describe('handleVpcdMessage (VirtualSmartcard.py run loop semantics)', () => {
  it('maps power on, reset and power off to the card without answering', () => {
    const card = new TestCard();
    assert.deepEqual(handleVpcdMessage(card, control(VpcdControl.powerOn)), { kind: 'powerOn' });
    assert.equal(card.powered, true);
    assert.deepEqual(handleVpcdMessage(card, control(VpcdControl.reset)), { kind: 'reset' });
    assert.equal(card.resetCount, 1);
    assert.deepEqual(handleVpcdMessage(card, control(VpcdControl.powerOff)), { kind: 'powerOff' });
    assert.equal(card.powered, false);
  });

  it('answers get ATR with the ATR whether or not the card is powered (vpcd polls presence with it)', () => {
    const card = new TestCard();
    const outcome = handleVpcdMessage(card, control(VpcdControl.getATR));
    assert.equal(outcome.kind, 'getATR');
    assert.equal(toHex((outcome as { response: Uint8Array }).response), toHex(TEST_ATR));
  });

  it('passes any message longer than one byte to the card as a command APDU', () => {
    const card = new TestCard();
    card.powerOn();
    const outcome = handleVpcdMessage(card, fromHex(`00A4040008${ISD_AID_HEX}00`));
    assert.equal(outcome.kind, 'apdu');
    assert.equal(toHex((outcome as { response: Uint8Array }).response), `${ISD_FCI_HEX}9000`);
    // Two- and three-byte messages are malformed APDUs, not control commands: the card decides.
    assert.equal(toHex((handleVpcdMessage(card, fromHex('0001')) as { response: Uint8Array }).response), '6700');
  });

  it('ignores an empty message and an undefined control byte without answering', () => {
    const card = new TestCard();
    assert.deepEqual(handleVpcdMessage(card, new Uint8Array(0)), { kind: 'ignored', reason: 'emptyMessage' });
    assert.deepEqual(handleVpcdMessage(card, control(0x03)), { kind: 'ignored', reason: 'unknownControl' });
    assert.deepEqual(handleVpcdMessage(card, control(0xff)), { kind: 'ignored', reason: 'unknownControl' });
    assert.equal(card.powerOnCount + card.powerOffCount + card.resetCount, 0);
  });

  it('gives the card a copy of the command, so the receive buffer cannot change under it', () => {
    let seen: Uint8Array | undefined;
    const card = new TestCard();
    const spy: SmartCard = {
      atr: card.atr,
      powerOn: () => card.powerOn(),
      powerOff: () => card.powerOff(),
      reset: () => card.reset(),
      transmit: (command) => {
        seen = command;
        return fromHex('9000');
      },
    };
    const message = fromHex('80EE00000101');
    handleVpcdMessage(spy, message);
    message.fill(0);
    assert.equal(toHex(seen ?? new Uint8Array(0)), '80EE00000101');
  });

  it('answers 6F00 when the card throws or answers more than a vpcd message can carry', () => {
    const base = new TestCard();
    const throwing: SmartCard = { ...bind(base), transmit: () => { throw new Error('runtime bug'); } };
    const thrown = handleVpcdMessage(throwing, fromHex('00B0000000'));
    assert.equal(thrown.kind, 'apdu');
    assert.equal(toHex((thrown as { response: Uint8Array }).response), '6F00');
    assert.equal((thrown as { failure?: string }).failure, 'cardThrew');

    const huge: SmartCard = { ...bind(base), transmit: () => new Uint8Array(VPCD_MESSAGE_BYTES_MAX + 1) };
    const tooLong = handleVpcdMessage(huge, fromHex('00B0000000'));
    assert.equal(toHex((tooLong as { response: Uint8Array }).response), '6F00');
    assert.equal((tooLong as { failure?: string }).failure, 'responseTooLong');
  });
});

function bind(card: TestCard): SmartCard {
  return {
    atr: card.atr,
    powerOn: () => card.powerOn(),
    powerOff: () => card.powerOff(),
    reset: () => card.reset(),
    transmit: (command) => card.transmit(command),
  };
}
