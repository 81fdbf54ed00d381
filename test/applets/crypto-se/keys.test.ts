import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { exportECP256PublicKey, generateECP256KeyPair, importECP256PublicKey, verifyECDSAP256 } from '../../../src/lib/crypto/index.js';
import { encodeTLV } from '../../../src/lib/tlv/index.js';
import { createCertificateAuthority } from '../../../src/tsm/pki/index.js';
import {
  applicationSignatureMessage, beginRegistrationCommand, DEVICE_CERTIFICATE_SLOT, generateKeyCommand, getPublicKeyCommand, readCertificate,
  readCertificateCommand, registrationCounterText, signCommands, storeCertificateCommands,
} from '../../../src/applets/crypto-se/client.js';
import { CARD_EPOCH_MS, LOYALTY, newCryptoSE, sw, UNKNOWN_APP, WALLET } from './fixture.js';
import { certificationRequestInfo } from './certificationRequest.js';
import { generate, register, tsmAuthority, verifyPIN } from './registration.js';

const directory = mkdtempSync(join(tmpdir(), 'tessera-crypto-se-'));
after(() => rmSync(directory, { recursive: true, force: true }));

function hasOpenSSL(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('Crypto SE keys', () => {
  it('generates the device key on the card once and answers only its public point', async () => {
    const se = await newCryptoSE();
    assert.equal(sw(se.send(getPublicKeyCommand())), '6A88', 'no key yet');
    const point = generate(se);
    assert.equal(point.length, 65);
    assert.equal(point[0], 0x04);
    assert.doesNotThrow(() => importECP256PublicKey(point));
    assert.equal(sw(se.send(generateKeyCommand())), '6A89', 'never replaced');
    assert.equal(se.send(getPublicKeyCommand()).data, toHex(point));
    assert.equal(sw(se.send(getPublicKeyCommand(0x10))), '6A88', 'no preloaded key in slot 10');
    assert.equal(sw(se.send(getPublicKeyCommand(0x05))), '6A86', 'not a key slot');
    assert.equal(se.status().deviceKeyPresent, true);
  });

  it('exposes preloaded key pairs by their public point only', async () => {
    const se = await newCryptoSE();
    const preloaded = generateECP256KeyPair(se.random);
    const scalar = new Uint8Array(Buffer.from(preloaded.privateKey.export({ format: 'jwk' }).d ?? '', 'base64url'));
    assert.equal(scalar.length, 32);
    assert.deepEqual(await se.personalize({ preloadedKeys: [{ slot: 0x10, scalar }] }), [0x9000]);
    se.select();
    const point = se.send(getPublicKeyCommand(0x10));
    assert.equal(point.data, toHex(exportECP256PublicKey(preloaded.publicKey)));
    assert.ok(!JSON.stringify(se.appletStore()).includes(toHex(scalar)), 'the preloaded scalar is sealed');
  });
});

describe('Crypto SE registration (PKCS#10 through the Crypto SE only)', () => {
  it('signs a certification request carrying the registration counter, stores the TSM-issued certificate, and openssl verifies the chain', async () => {
    const se = await newCryptoSE();
    const ca = await tsmAuthority(se);
    const { csr, certificate, counter } = await register(se, ca);
    assert.equal(counter.length, 16);
    assert.equal(se.sendAll(storeCertificateCommands(DEVICE_CERTIFICATE_SLOT, certificate)).sw, 0x9000);
    assert.equal(se.status().registered, true);
    assert.equal(toHex(readCertificate((apdu) => se.test.card.transmit(apdu), DEVICE_CERTIFICATE_SLOT) ?? new Uint8Array(0)), toHex(certificate));
    assert.equal(se.appletStore()['registration'], counter, 'the counter stays on the card');
    if (hasOpenSSL()) {
      const pem = (der: Uint8Array, label: string): string => `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END ${label}-----\n`;
      writeFileSync(join(directory, 'root.pem'), ca.certificate.toString());
      writeFileSync(join(directory, 'device.pem'), pem(certificate, 'CERTIFICATE'));
      writeFileSync(join(directory, 'device.csr'), pem(csr, 'CERTIFICATE REQUEST'));
      const attime = String(Math.floor(CARD_EPOCH_MS / 1000) + 3600);
      const verified = execFileSync('openssl', ['verify', '-attime', attime, '-CAfile', join(directory, 'root.pem'), join(directory, 'device.pem')], { encoding: 'utf8' });
      assert.match(verified, /device\.pem: OK/);
      const request = execFileSync('openssl', ['req', '-in', join(directory, 'device.csr'), '-verify', '-noout', '-text'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      assert.match(request, new RegExp(registrationCounterText(fromHex(counter))));
    }
  });

  it('refuses a request without an open registration, without the counter, from an App SE caller, without user verification, and twice', async () => {
    const se = await newCryptoSE();
    const point = generate(se);
    const info = (counter: string): Uint8Array => encodeTLV([certificationRequestInfo('Tessera device', point, counter)]);
    verifyPIN(se);
    assert.equal(sw(se.sendAll(signCommands('certification-request', info('0000000000000000')))), '6985', 'no BEGIN REGISTRATION');
    const counter = registrationCounterText(fromHex(se.send(beginRegistrationCommand()).data));
    assert.equal(sw(se.sendAll(signCommands('certification-request', info('0123456789ABCDEF')))), '6A80', 'not the card counter');
    assert.equal(sw(se.sendAll(signCommands('certification-request', info(counter), { caller: WALLET }))), '6982', 'registration never through the App SE');
    se.powerCycle();
    assert.equal(sw(se.sendAll(signCommands('certification-request', info(counter)))), '6982', 'no user verification in this session');
    verifyPIN(se);
    assert.equal(sw(se.sendAll(signCommands('certification-request', info(counter)))), '9000');
    verifyPIN(se);
    assert.equal(sw(se.sendAll(signCommands('certification-request', info(counter)))), '6985', 'a counter signs one request');
  });

  it('accepts into the certificate store only certificates the TSM key signed, and slot 01 only for the device key', async () => {
    const se = await newCryptoSE();
    const ca = await tsmAuthority(se);
    const { certificate } = await register(se, ca);
    const impostorCA = await createCertificateAuthority({ name: 'Not the TSM', validityDays: 10, now: new Date(CARD_EPOCH_MS), random: se.random, keyPair: generateECP256KeyPair(se.random) });
    assert.equal(sw(se.sendAll(storeCertificateCommands(2, new Uint8Array(impostorCA.certificate.raw)))), '6982', 'self-signed by another key');
    assert.equal(sw(se.sendAll(storeCertificateCommands(DEVICE_CERTIFICATE_SLOT, new Uint8Array(ca.certificate.raw)))), '6982', 'the TSM root is not the device certificate');
    assert.equal(sw(se.send(storeCertificateCommands(0, certificate)[0] ?? new Uint8Array(0))), '6982', 'the root CA slot is personalization-only');
    const tampered = certificate.slice();
    tampered[40] = (tampered[40] ?? 0) ^ 0x01;
    assert.ok(['6982', '6A80'].includes(sw(se.sendAll(storeCertificateCommands(DEVICE_CERTIFICATE_SLOT, tampered)))), 'tampered');
    assert.equal(sw(se.sendAll(storeCertificateCommands(3, fromHex('3003020100')))), '6A80', 'not a certificate');
    assert.equal(se.status().registered, false, 'nothing stored so far');
    assert.equal(sw(se.sendAll(storeCertificateCommands(2, new Uint8Array(ca.certificate.raw)))), '9000', 'the TSM root itself is TSM-signed');
    assert.equal(sw(se.sendAll(storeCertificateCommands(DEVICE_CERTIFICATE_SLOT, certificate))), '9000');
    assert.equal(se.status().registered, true);
    assert.equal(sw(se.send(readCertificateCommand(4, 0))), '6A88');
  });

  it('keeps the TSM root CA certificate from personalization in slot 00', async () => {
    const se = await newCryptoSE();
    const ca = await tsmAuthority(se);
    const der = new Uint8Array(ca.certificate.raw);
    assert.ok(der.length > 240, 'more than one chunk');
    assert.ok((await se.personalize({ certificates: [{ slot: 0, der }] })).every((answer) => answer === 0x9000));
    se.select();
    assert.equal(toHex(readCertificate((apdu) => se.test.card.transmit(apdu), 0) ?? new Uint8Array(0)), toHex(der));
  });
});

describe('Crypto SE SIGN for App SE applications', () => {
  it('signs for an ACL holder after a user verification, over a domain-separated message, once per verification', async () => {
    const se = await newCryptoSE();
    const point = generate(se);
    const data = new TextEncoder().encode('offline payment request #42: EUR 12.50 to merchant 7781');
    verifyPIN(se);
    const signature = se.sendAll(signCommands('application', data, { caller: WALLET }));
    assert.equal(signature.sw, 0x9000);
    const key = importECP256PublicKey(point);
    assert.ok(verifyECDSAP256(key, applicationSignatureMessage(WALLET.aid, data), fromHex(signature.data), 'der'));
    assert.ok(!verifyECDSAP256(key, data, fromHex(signature.data), 'der'), 'never a signature over the raw data');
    assert.equal(sw(se.sendAll(signCommands('application', data, { caller: WALLET }))), '6982', 'the verification was used');
  });

  it('signs long data given in several blocks', async () => {
    const se = await newCryptoSE();
    const point = generate(se);
    const data = new Uint8Array(700).map((_, i) => i & 0xff);
    const commands = signCommands('application', data, { caller: WALLET });
    assert.ok(commands.length >= 3);
    verifyPIN(se);
    const signature = se.sendAll(commands);
    assert.ok(verifyECDSAP256(importECP256PublicKey(point), applicationSignatureMessage(WALLET.aid, data), fromHex(signature.data), 'der'));
    const [first, , third] = commands;
    verifyPIN(se);
    assert.equal(se.send(first ?? new Uint8Array(0)).sw, 0x9000);
    assert.equal(sw(se.send(third ?? new Uint8Array(0))), '6A86', 'a block out of sequence');
  });

  it('refuses callers the ACL does not grant sign, other keys than the device key, and signing without verification', async () => {
    const se = await newCryptoSE();
    generate(se);
    const data = new Uint8Array([1, 2, 3]);
    verifyPIN(se);
    assert.equal(sw(se.sendAll(signCommands('application', data, { caller: LOYALTY }))), '6982', 'loyalty may only read the masked PAN');
    assert.equal(sw(se.sendAll(signCommands('application', data, { caller: UNKNOWN_APP }))), '6982', 'not in the ACL');
    assert.equal(sw(se.sendAll(signCommands('application', data))), '6982', 'no caller');
    assert.equal(sw(se.sendAll(signCommands('application', data, { caller: WALLET, keySlot: 0x10 }))), '6982', 'only the device key signs');
    se.powerCycle();
    assert.equal(sw(se.sendAll(signCommands('application', data, { caller: WALLET }))), '6982', 'no user verification');
  });

  it('signs without a verification when personalization turns the option off', async () => {
    const se = await newCryptoSE();
    generate(se);
    assert.deepEqual(await se.personalize({ options: 0 }), [0x9000]);
    se.select();
    assert.equal(sw(se.sendAll(signCommands('application', new Uint8Array([9]), { caller: WALLET }))), '9000');
  });
});
