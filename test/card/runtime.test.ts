import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../../src/lib/bytes.js';
import { decodeTLV, findTag } from '../../src/lib/tlv/index.js';
import { CENTRAL_SD_AID, ISD_AID, MNO_SD_AID, type Applet } from '../../src/card/client.js';
import { ECHO_MODULE_AID, installApplet, loadPackage, echoLoadFile, newTestCard } from './harness.js';

describe('card runtime: reset, SELECT, channels, status words', () => {
  it('answers a T=1 ATR and 6F00 while unpowered', () => {
    const { card } = newTestCard();
    assert.equal(toHex(card.atr).slice(0, 2), '3B');
    card.powerOff();
    assert.equal(toHex(card.transmit(fromHex('00A4040000'))), '6F00');
    card.powerOn();
    assert.equal(toHex(card.transmit(fromHex('00A4040000'))).slice(-4), '9000');
  });

  it('selects the ISD by full AID, by empty AID and by partial AID, with its FCI', () => {
    const test = newTestCard();
    const full = test.select(ISD_AID);
    assert.equal(full.sw, 0x9000);
    const fci = decodeTLV(fromHex(full.data));
    assert.equal(toHex(findTag(fci, 0x84)?.value ?? new Uint8Array(0)), ISD_AID);
    assert.ok(findTag(fci, 0x9f65) !== undefined, 'FCI carries 9F65, the maximum command data length');
    assert.equal(test.send('00A4040000').data, full.data);
    assert.equal(test.select(ISD_AID.slice(0, 10)).sw, 0x9000);
  });

  it('walks partial matches with P2 next occurrence, in registry order', () => {
    const test = newTestCard('uicc');
    const first = test.send('00A4040005F054455353');
    assert.equal(first.sw, 0x9000);
    assert.match(first.data, new RegExp(MNO_SD_AID));
    const second = test.send('00A4040205F054455353');
    assert.match(second.data, new RegExp(CENTRAL_SD_AID));
    assert.equal(test.send('00A4040205F054455353').sw, 0x6a82);
  });

  it('answers the ISO status words a real card gives for bad commands', () => {
    const test = newTestCard();
    assert.equal(test.send('00A4040008F0F0F0F0F0F0F0F0').sw, 0x6a82, 'unknown AID');
    assert.equal(test.send('00A4040003A00000').sw, 0x6700, 'AID shorter than 5 bytes');
    assert.equal(test.send('00A4040108' + ISD_AID).sw, 0x6a86, 'P2 01 is not an occurrence');
    assert.equal(test.send('FFA4040000').sw, 0x6e00, 'CLA FF');
    assert.equal(test.send('0060000000').sw, 0x6d00, 'INS 60 (invalid under ISO 7816-3)');
    assert.equal(test.send('00A40400').sw, 0x9000, 'case 1 SELECT selects the ISD');
    assert.equal(test.send('00A404000500').sw, 0x6700, 'Lc larger than the data');
    assert.equal(test.send('80CA9F7F').sw, 0x9000);
    assert.equal(test.send('01A4040000').sw, 0x6881, 'channel 1 is not open');
    assert.equal(test.send('80DE000000').sw, 0x6d00, 'unknown GP instruction');
  });

  it('opens and closes supplementary logical channels', () => {
    const test = newTestCard();
    const opened = test.send('0070000001');
    assert.deepEqual(opened, { data: '01', sw: 0x9000 });
    assert.equal(test.send('01A4040008' + ISD_AID).sw, 0x9000);
    assert.equal(test.send('007000020100').sw, 0x6700, 'open takes no data');
    assert.equal(test.send('0070000200').sw, 0x9000, 'open channel 2 explicitly');
    assert.equal(test.send('0070000200').sw, 0x6985, 'channel 2 is already open');
    assert.equal(test.send('00708001').sw, 0x9000, 'close channel 1');
    assert.equal(test.send('01A4040000').sw, 0x6881, 'closed again');
    assert.equal(test.send('00708000').sw, 0x6a86, 'the basic channel cannot be closed');
    assert.equal(test.send('0070000300').sw, 0x9000);
    assert.deepEqual(test.send('0070000001'), { data: '01', sw: 0x9000 }, 'the card assigns the free channel');
    assert.equal(test.send('0070000001').sw, 0x6a81, 'no channel left');
  });

  it('never throws and always answers a status word for random bytes (property)', () => {
    const test = newTestCard();
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const response = test.card.transmit(bytes);
      assert.ok(response.length >= 2);
    }), { numRuns: 2000 });
  });

  it('commits an applet write only when the applet succeeds (GP atomicity)', async () => {
    const writesThenFails: Applet = {
      process(command, context) {
        if (command.ins === 0xa4) return { sw: 0x9000 };
        context.store.set('value', Uint8Array.of(command.p1));
        return command.ins === 0x10 ? { sw: 0x9000 } : { sw: 0x6a80 };
      },
    };
    const test = newTestCard('uicc', { 'tessera.test.partial': () => writesThenFails });
    const channel = await test.secure(CENTRAL_SD_AID);
    const file = echoLoadFile('F0544553539902', 'F054455353990201', 'tessera.test.partial');
    assert.ok((await loadPackage(channel, file)).every((response) => response.sw === 0x9000));
    assert.equal((await installApplet(channel, { packageAid: 'F0544553539902', moduleAid: 'F054455353990201', aid: 'F05445535399020101' })).sw, 0x9000);
    assert.equal(test.select('F05445535399020101').sw, 0x9000);
    assert.equal(test.send('8010010000').sw, 0x9000);
    assert.equal(test.card.state.applets['F05445535399020101']?.['value'], '01');
    assert.equal(test.send('8011020000').sw, 0x6a80);
    assert.equal(test.card.state.applets['F05445535399020101']?.['value'], '01', 'the failed command left no trace');
    assert.ok(ECHO_MODULE_AID);
  });

  it('keeps the previous selection when a SELECT fails (an instance whose applet class the firmware lacks)', async () => {
    const test = newTestCard('uicc', { 'tessera.test.vanishing': () => ({ process: () => ({ sw: 0x9000 }) }) });
    const channel = await test.secure(CENTRAL_SD_AID);
    await loadPackage(channel, echoLoadFile('F0544553539930', 'F054455353993001', 'tessera.test.vanishing'));
    assert.equal((await installApplet(channel, { packageAid: 'F0544553539930', moduleAid: 'F054455353993001', aid: 'F05445535399300101' })).sw, 0x9000);
    // The same image under firmware without that class: the instance cannot be selected, and the
    // channel keeps what it had, so the ISD is still reachable.
    const { createMemoryCard } = await import('../../src/card/client.js');
    const { testFirmware } = await import('./harness.js');
    const other = createMemoryCard(structuredClone(test.card.state), { firmware: testFirmware() });
    other.powerOn();
    assert.equal(toHex(other.transmit(fromHex('00A4040009F05445535399300101'))), '6985');
    assert.equal(toHex(other.transmit(fromHex(`00A4040008${ISD_AID}`))).slice(-4), '9000');
  });
});

