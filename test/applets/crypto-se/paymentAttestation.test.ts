import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { createSystemRandomSource, generateECP256KeyPair, importECP256PublicKey } from '../../../src/lib/crypto/index.js';
import { decodeTLV, findTag } from '../../../src/lib/tlv/index.js';
import {
  CRYPTO_SE_INS, decodePaymentAttestationRecord, encodePaymentAttestationRecord, getPaymentAttestationCommand, parsePaymentAttestation,
  PAYMENT_ATTESTATION_RECORD_BYTES, signCommands, verifyPaymentAttestation, type PaymentAttestation,
} from '../../../src/applets/crypto-se/client.js';
import { apdu, CDOL1_DATA, matchFinger, newDevice, PAN, PAYMENT_AID, relay, type Device } from '../payment/fixture.js';
import { sw, WALLET } from './fixture.js';
import { verifyPIN } from './registration.js';

/** One contactless transaction through the App SE's payment application; answers the GENERATE AC's '77' children. */
function tap(device: Device): { atc: string; cryptogram: string } {
  assert.equal(relay(device, apdu('00A40400', PAYMENT_AID)).sw, 0x9000, 'SELECT AID');
  assert.equal(relay(device, apdu('80A80000', '8300')).sw, 0x9000, 'GET PROCESSING OPTIONS');
  assert.equal(relay(device, '00B2010C00').sw, 0x9000, 'READ RECORD');
  const answer = relay(device, apdu('80AE8000', CDOL1_DATA));
  assert.equal(answer.sw, 0x9000, 'GENERATE AC');
  const body = findTag(decodeTLV(fromHex(answer.data)), 0x77);
  assert.ok(body?.constructed === true);
  const field = (tag: number): string => {
    const node = findTag(body.children, tag);
    assert.ok(node !== undefined && !node.constructed);
    return toHex(node.value);
  };
  return { atc: field(0x9f36), cryptogram: field(0x9f26) };
}

function readAttestation(device: Device): { sw: string; attestation?: PaymentAttestation } {
  const response = device.cryptoSE.send(getPaymentAttestationCommand());
  return response.sw === 0x9000 ? { sw: '9000', attestation: parsePaymentAttestation(fromHex(response.data)) } : { sw: sw(response) };
}

/** The device key the card made (the fixture's GENERATE KEY), as the TSM would take it from the certificate. */
function devicePublicKey(device: Device): ReturnType<typeof importECP256PublicKey> {
  const point = device.cryptoSE.send(fromHex('8048010000'));
  assert.equal(point.sw, 0x9000);
  return importECP256PublicKey(fromHex(point.data));
}

describe('Crypto SE: payment attestation at GENERATE AC (seed 000 [0090], the fraud feed)', () => {
  it('signs last four, ATC, date, cryptogram and counter with the device key, readable once by the host', async () => {
    const device = await newDevice();
    matchFinger(device);
    const { atc, cryptogram } = tap(device);
    const read = readAttestation(device);
    assert.equal(read.sw, '9000');
    const attestation = read.attestation;
    assert.ok(attestation !== undefined);
    assert.equal(attestation.record.length, PAYMENT_ATTESTATION_RECORD_BYTES);
    assert.deepEqual({ ...attestation.fields, cryptogram: toHex(attestation.fields.cryptogram) }, {
      lastFour: PAN.slice(-4), atc: Number.parseInt(atc, 16), transactionDate: '261121', cryptogram, counter: 1n,
    });
    // Byte layout (docs/fraud-feed.md): 01 ‖ "0119" ‖ ATC ‖ YYMMDD ‖ AC ‖ counter.
    assert.equal(toHex(attestation.record), `01${toHex(new TextEncoder().encode(PAN.slice(-4)))}${atc}261121${cryptogram}0000000000000001`);
    assert.equal(verifyPaymentAttestation(devicePublicKey(device), attestation.record, attestation.signature), true);
    // Nothing of the amount or the PAN beyond the last four.
    assert.ok(!toHex(attestation.record).includes('1250'), 'no amount');
    assert.ok(!toHex(attestation.record).includes(PAN.slice(0, 6)), 'no PAN');

    assert.equal(readAttestation(device).sw, '6A88', 'read once: then it is gone');
  });

  it('has nothing before a GENERATE AC, nor after a refused one', async () => {
    const device = await newDevice();
    assert.equal(readAttestation(device).sw, '6A88', 'no GENERATE AC yet');
    // Without a verification the cryptogram is refused: no attestation either.
    assert.equal(relay(device, apdu('00A40400', PAYMENT_AID)).sw, 0x9000);
    assert.equal(relay(device, apdu('80A80000', '8300')).sw, 0x6986, 'see phone');
    assert.equal(readAttestation(device).sw, '6A88');
    // Asking for the cryptogram directly, as a host could, without a verification: 6982 and nothing kept.
    const direct = device.cryptoSE.send(fromHex(`80${CRYPTO_SE_INS.generateAC.toString(16).toUpperCase()}000000`));
    assert.notEqual(direct.sw, 0x9000);
    assert.equal(readAttestation(device).sw, '6A88');
  });

  it('is bound to the session of the GENERATE AC and to the verification window', async () => {
    const device = await newDevice();
    matchFinger(device);
    tap(device);
    device.cryptoSE.powerCycle();
    assert.equal(readAttestation(device).sw, '6A88', 'a new session (SELECT) drops it');

    verifyPIN(device.cryptoSE);
    tap(device);
    device.cryptoSE.clock.advance(60_001);
    assert.equal(readAttestation(device).sw, '6A88', 'past the verification validity');
  });

  it('counts attestations: each GENERATE AC under a fresh verification signs the next counter', async () => {
    const device = await newDevice();
    const counters: bigint[] = [];
    for (let payment = 0; payment < 3; payment++) {
      matchFinger(device);
      tap(device);
      const read = readAttestation(device);
      assert.ok(read.attestation !== undefined);
      counters.push(read.attestation.fields.counter);
      assert.equal(read.attestation.fields.atc, payment + 1);
    }
    assert.deepEqual(counters, [1n, 2n, 3n]);
  });

  it('refuses malformed GET PAYMENT ATTESTATION commands', async () => {
    const device = await newDevice();
    matchFinger(device);
    tap(device);
    assert.equal(sw(device.cryptoSE.send(fromHex('8078010000'))), '6A86');
    assert.equal(sw(device.cryptoSE.send(fromHex(`80780000${'07E105'}4F03A00000`))), '6700', 'a caller template is not taken: the host reads it');
    assert.equal(readAttestation(device).sw, '9000', 'the refused commands left it in place');
  });

  it('fails verification when any byte of the record or the signature is altered, or under another key', async () => {
    const device = await newDevice();
    matchFinger(device);
    tap(device);
    const read = readAttestation(device);
    assert.ok(read.attestation !== undefined);
    const { record, signature } = read.attestation;
    const key = devicePublicKey(device);
    for (let index = 0; index < record.length; index++) {
      const altered = record.slice();
      altered[index] = (altered[index] ?? 0) ^ 0x01;
      assert.equal(verifyPaymentAttestation(key, altered, signature), false, `record byte ${index}`);
    }
    for (let index = 0; index < signature.length; index++) {
      const altered = signature.slice();
      altered[index] = (altered[index] ?? 0) ^ 0x01;
      assert.equal(verifyPaymentAttestation(key, record, altered), false, `signature byte ${index}`);
    }
    // A forged record re-encoded with another counter: same signature does not verify.
    const forged = encodePaymentAttestationRecord({ ...decodePaymentAttestationRecord(record), counter: 99n });
    assert.equal(verifyPaymentAttestation(key, forged, signature), false);
    const other = generateECP256KeyPair(createSystemRandomSource());
    assert.equal(verifyPaymentAttestation(other.publicKey, record, signature), false, 'another key');
    // The same card's other signatures cannot pass as an attestation (domain separation): an App SE
    // application that has the ACL's 'sign' asks the card to sign the very same record bytes.
    verifyPIN(device.cryptoSE);
    const signed = device.cryptoSE.sendAll(signCommands('application', record, { caller: WALLET }));
    assert.equal(signed.sw, 0x9000);
    assert.equal(verifyPaymentAttestation(key, record, fromHex(signed.data)), false, 'an application signature is not an attestation');
  });

  it('decodes only well-formed records', () => {
    const good = encodePaymentAttestationRecord({ lastFour: '0119', atc: 7, transactionDate: '261121', cryptogram: new Uint8Array(8), counter: 5n });
    assert.equal(decodePaymentAttestationRecord(good).counter, 5n);
    assert.throws(() => decodePaymentAttestationRecord(good.subarray(0, 25)));
    const version = good.slice();
    version[0] = 2;
    assert.throws(() => decodePaymentAttestationRecord(version));
    const letters = good.slice();
    letters[1] = 0x41;
    assert.throws(() => decodePaymentAttestationRecord(letters));
    const february30 = good.slice();
    february30.set([0x26, 0x02, 0x30], 7);
    assert.throws(() => decodePaymentAttestationRecord(february30));
  });
});
