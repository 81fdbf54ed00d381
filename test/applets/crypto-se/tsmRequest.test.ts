import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { concatBytes, fromHex, toHex } from '../../../src/lib/bytes.js';
import { importECP256PublicKey, signECDSAP256, verifyECDSAP256 } from '../../../src/lib/crypto/index.js';
import { decodeTLV, encodeTLV, primitiveNode } from '../../../src/lib/tlv/index.js';
import {
  applicationSignatureMessage, beginRegistrationCommand, canonicalTsmRequest, CREDENTIAL_PACKAGE_LABEL, CRYPTO_SE_TAG, encodeTsmRequestSignatureHeader,
  getPaymentAttestationCommand, parsePaymentAttestation, parseTsmRequestSignatureHeader, paymentAttestationMessage, registrationCounterText,
  sealCredentialPackage, signCommands, signTsmRequestCommand, storeCredentialPackageCommand, TSM_REQUEST_LABEL, tsmRequestDigest, tsmRequestMessage,
  verifyPaymentAttestation, verifyTsmRequestSignature,
} from '../../../src/applets/crypto-se/client.js';
import { apdu, CDOL1_DATA, matchFinger, newDevice, PAYMENT_AID, relay } from '../payment/fixture.js';
import { newCryptoSE, sw, WALLET, type CryptoSEFixture } from './fixture.js';
import { generate, register, tsmAuthority, verifyPIN } from './registration.js';

const REQUEST = {
  method: 'GET', pathWithQuery: '/v1/devices/0A1B2C3D/credential-packages?after=0000000000000000', timestampSeconds: 1_795_000_000,
  nonce: '00112233445566778899AABBCCDDEEFF', body: new Uint8Array(0),
} as const;

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

function signRequest(se: CryptoSEFixture, digest: Uint8Array): Uint8Array {
  const answer = se.send(signTsmRequestCommand(digest));
  assert.equal(sw(answer), '9000');
  return fromHex(answer.data);
}

describe('Crypto SE: SIGN TSM REQUEST', () => {
  it('signs the label and the digest with the device key, without a user verification, and writes nothing', async () => {
    const se = await newCryptoSE();
    const key = importECP256PublicKey(generate(se));
    se.powerCycle();
    const before = JSON.stringify(se.appletStore());
    const digest = tsmRequestDigest(REQUEST);
    const signature = signRequest(se, digest);
    assert.deepEqual(JSON.parse(JSON.stringify(se.appletStore())), JSON.parse(before), 'no store entry changed');
    assert.equal(verifyTsmRequestSignature(key, digest, signature), true);
    assert.equal(verifyECDSAP256(key, concatBytes(TSM_REQUEST_LABEL, digest), signature, 'der'), true, 'label ‖ digest, as documented');
    assert.equal(toHex(signTsmRequestCommand(digest)).slice(0, 10), '807A000020', 'CLA 80, INS 7A, P1 P2 00 00, Lc 32');
    // Another digest, another signature; a changed byte fails.
    const altered = digest.slice();
    altered[0] = (altered[0] ?? 0) ^ 0x01;
    assert.equal(verifyTsmRequestSignature(key, altered, signature), false);
  });

  it('refuses wrong P1/P2 (6A86), a digest of the wrong length (6700) and a card without a device key (6A88)', async () => {
    const se = await newCryptoSE();
    assert.equal(sw(se.send(signTsmRequestCommand(new Uint8Array(32)))), '6A88', 'no device key yet');
    generate(se);
    const digest = toHex(new Uint8Array(32).fill(0x5a));
    assert.equal(sw(se.send(fromHex(`807A0100${'20'}${digest}00`))), '6A86', 'P1 01');
    assert.equal(sw(se.send(fromHex(`807A0001${'20'}${digest}00`))), '6A86', 'P2 01');
    assert.equal(sw(se.send(fromHex(`807A00001F${digest.slice(2)}00`))), '6700', '31 bytes');
    assert.equal(sw(se.send(fromHex(`807A000021${digest}5A00`))), '6700', '33 bytes');
    assert.equal(sw(se.send(fromHex('807A000000'))), '6700', 'no data');
    assert.throws(() => signTsmRequestCommand(new Uint8Array(31)), { code: 'ERR_CRYPTO_SE_INPUT' });
  });
});

describe('Crypto SE: a TSM request signature is no other signature, and no other signature is one', () => {
  it('is not an application signature, a payment attestation or a signature of the bare digest', async () => {
    const se = await newCryptoSE();
    const key = importECP256PublicKey(generate(se));
    const digest = tsmRequestDigest(REQUEST);
    const signature = signRequest(se, digest);
    assert.equal(verifyECDSAP256(key, digest, signature, 'der'), false, 'the bare digest');
    assert.equal(verifyECDSAP256(key, new TextEncoder().encode(canonicalTsmRequest(REQUEST)), signature, 'der'), false, 'the canonical text');
    assert.equal(verifyECDSAP256(key, applicationSignatureMessage(WALLET.aid, digest), signature, 'der'), false, 'an App SE application signature');
    assert.equal(verifyECDSAP256(key, applicationSignatureMessage(WALLET.aid, concatBytes(TSM_REQUEST_LABEL, digest)), signature, 'der'), false);
    assert.equal(verifyPaymentAttestation(key, digest.subarray(0, 26), signature), false, 'a payment attestation');
    assert.equal(verifyECDSAP256(key, paymentAttestationMessage(digest), signature, 'der'), false);
  });

  it('is not made by SIGN [application] even over the label and the digest', async () => {
    const se = await newCryptoSE();
    const key = importECP256PublicKey(generate(se));
    const digest = tsmRequestDigest(REQUEST);
    for (const data of [digest, tsmRequestMessage(digest)]) {
      verifyPIN(se);
      const answer = se.sendAll(signCommands('application', data, { caller: WALLET }));
      assert.equal(sw(answer), '9000');
      assert.equal(verifyTsmRequestSignature(key, digest, fromHex(answer.data)), false);
    }
  });

  it('is not made by SIGN [certification request]: the card signs only a DER SEQUENCE there', async () => {
    const se = await newCryptoSE();
    await register(se, await tsmAuthority(se));
    const counter = registrationCounterText(fromHex(se.send(beginRegistrationCommand()).data));
    verifyPIN(se);
    // Label ‖ digest with the counter appended, as a host would try: refused before anything is signed.
    const forged = concatBytes(tsmRequestMessage(tsmRequestDigest(REQUEST)), new TextEncoder().encode(counter));
    assert.equal(sw(se.sendAll(signCommands('certification-request', forged))), '6A80');
  });

  it('a payment attestation signature does not pass as a TSM request signature', async () => {
    const device = await newDevice();
    matchFinger(device);
    assert.equal(relay(device, apdu('00A40400', PAYMENT_AID)).sw, 0x9000);
    assert.equal(relay(device, apdu('80A80000', '8300')).sw, 0x9000);
    assert.equal(relay(device, '00B2010C00').sw, 0x9000);
    assert.equal(relay(device, apdu('80AE8000', CDOL1_DATA)).sw, 0x9000);
    const read = device.cryptoSE.send(getPaymentAttestationCommand());
    assert.equal(read.sw, 0x9000);
    const attestation = parsePaymentAttestation(fromHex(read.data));
    const point = device.cryptoSE.send(fromHex('8048010000'));
    const key = importECP256PublicKey(fromHex(point.data));
    assert.equal(verifyPaymentAttestation(key, attestation.record, attestation.signature), true);
    for (const digest of [sha256(attestation.record), sha256(paymentAttestationMessage(attestation.record)), concatBytes(attestation.record, new Uint8Array(6))]) {
      assert.equal(verifyTsmRequestSignature(key, digest, attestation.signature), false);
    }
    // And the other way: the card's TSM request signature over a record-sized digest is no attestation.
    const digest = sha256(attestation.record);
    const requestSignature = device.cryptoSE.send(signTsmRequestCommand(digest));
    assert.equal(requestSignature.sw, 0x9000);
    assert.equal(verifyPaymentAttestation(key, attestation.record, fromHex(requestSignature.data)), false);
  });

  it('a TSM request signature in a credential package is refused by the card (6982), and a package signature is no TSM request signature', async () => {
    const se = await newCryptoSE();
    const point = generate(se);
    const key = importECP256PublicKey(point);
    const genuine = sealCredentialPackage({
      devicePublicKey: point, tsmPrivateKey: se.tsm.privateKey, counter: 1n, credentialSlot: 1, pan: '4111111111111111', expiry: '291231', cvv: '123', random: se.random,
    });
    const nodes = decodeTLV(genuine);
    const signedPart = encodeTLV(nodes.filter((node) => node.tag !== CRYPTO_SE_TAG.signature));
    const packageSignature = nodes.find((node) => node.tag === CRYPTO_SE_TAG.signature);
    assert.ok(packageSignature !== undefined && !packageSignature.constructed);
    assert.equal(verifyTsmRequestSignature(se.tsm.publicKey, sha256(signedPart), packageSignature.value), false, 'with the TSM key');
    assert.equal(verifyTsmRequestSignature(key, sha256(signedPart), packageSignature.value), false, 'with the device key');
    // The device's TSM request signature over the package digest, put where the TSM signature goes.
    const requestSignature = signRequest(se, sha256(concatBytes(CREDENTIAL_PACKAGE_LABEL, signedPart)));
    const swapped = concatBytes(signedPart, encodeTLV([primitiveNode(CRYPTO_SE_TAG.signature, requestSignature)]));
    assert.equal(sw(se.send(storeCredentialPackageCommand(swapped))), '6982');
    // Even a TSM request signature made with the TSM's own key (if it had one) would not carry the package label.
    const tsmKeyed = signECDSAP256(se.tsm.privateKey, tsmRequestMessage(sha256(signedPart)), 'der');
    assert.equal(sw(se.send(storeCredentialPackageCommand(concatBytes(signedPart, encodeTLV([primitiveNode(CRYPTO_SE_TAG.signature, tsmKeyed)]))))), '6982');
    assert.equal(sw(se.send(storeCredentialPackageCommand(genuine))), '9000', 'the genuine package still goes in');
  });
});

describe('TSM request canonical form and header', () => {
  it('is the documented text, and the header round-trips', () => {
    const body = new TextEncoder().encode('{}');
    assert.equal(canonicalTsmRequest({ ...REQUEST, method: 'POST', pathWithQuery: '/v1/devices/0A1B2C3D/updates', body }), [
      'TSM_REQUEST_V1', 'POST', '/v1/devices/0A1B2C3D/updates', '1795000000', '00112233445566778899AABBCCDDEEFF', toHex(sha256(body)),
    ].join('\n'));
    assert.equal(canonicalTsmRequest(REQUEST).split('\n')[5], 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855', 'no body: SHA-256 of nothing');
    const signature = fromHex('3006020101020101');
    const header = encodeTsmRequestSignatureHeader({ timestampSeconds: REQUEST.timestampSeconds, nonce: REQUEST.nonce, signature });
    assert.equal(header, 't=1795000000,n=00112233445566778899AABBCCDDEEFF,s=MAYCAQECAQE=');
    assert.deepEqual(parseTsmRequestSignatureHeader(header), { timestampSeconds: REQUEST.timestampSeconds, nonce: REQUEST.nonce, signature });
    assert.deepEqual(parseTsmRequestSignatureHeader('s=MAYCAQECAQE=, n=00112233445566778899AABBCCDDEEFF, t=1795000000')?.nonce, REQUEST.nonce, 'any order');
  });

  it('refuses malformed headers and requests the device never signs', () => {
    const good = { t: 't=1795000000', n: 'n=00112233445566778899AABBCCDDEEFF', s: 's=MAYCAQECAQE=' };
    for (const header of [
      '', `${good.t},${good.n}`, `${good.t},${good.n},${good.s},${good.s}`, `${good.t},${good.n},${good.s},x=1`,
      `t=-1,${good.n},${good.s}`, `t=01795000000,${good.n},${good.s}`, `t=1795000000.5,${good.n},${good.s}`,
      `${good.t},n=00112233445566778899aabbccddeeff,${good.s}`, `${good.t},n=0011,${good.s}`,
      `${good.t},${good.n},s=MAYCAQECAQF=`, `${good.t},${good.n},s=MAYC`, `${good.t},${good.n},s=***`, `${good.t},${good.n},s=${'A'.repeat(300)}`,
    ]) {
      assert.equal(parseTsmRequestSignatureHeader(header), undefined, header);
    }
    assert.throws(() => canonicalTsmRequest({ ...REQUEST, pathWithQuery: '/v1/a\nb' }), { code: 'ERR_CRYPTO_SE_INPUT' });
    assert.throws(() => canonicalTsmRequest({ ...REQUEST, method: 'get' }), { code: 'ERR_CRYPTO_SE_INPUT' });
    assert.throws(() => canonicalTsmRequest({ ...REQUEST, nonce: REQUEST.nonce.toLowerCase() }), { code: 'ERR_CRYPTO_SE_INPUT' });
  });
});
