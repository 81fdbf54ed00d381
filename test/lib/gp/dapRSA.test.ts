import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as nodeSign, constants } from 'node:crypto';
import { describe, it } from 'node:test';
import { fromHex } from '../../../src/lib/bytes.js';
import { LibErrorCode } from '../../../src/lib/errors.js';
import { signDAP, verifyDAP } from '../../../src/lib/gp/index.js';
import { throwsTessera } from './helpers.js';

describe('DAP with RSASSA-PSS / SHA-256 (GP 2.3.1 §B.3.2)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const hash = fromHex('C4E80A1DBCCD4A795EFA0990B39701FED330B05F59E0D9C80839122969B67449');

  it('signs and verifies with MGF1-SHA-256 and a 32-byte salt', () => {
    const signature = signDAP(hash, privateKey);
    assert.equal(signature.length, 256);
    assert.equal(verifyDAP(hash, signature, publicKey), true);
    // The same parameters GlobalPlatformPro's DAPSigner passes to Java (SHA256withRSAandMGF1, salt 32).
    const reference = nodeSign('sha256', hash, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    assert.equal(verifyDAP(hash, new Uint8Array(reference), publicKey), true);
  });

  it('refuses signatures of another salt length, another scheme or another length', () => {
    const otherSalt = nodeSign('sha256', hash, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 20 });
    assert.equal(verifyDAP(hash, new Uint8Array(otherSalt), publicKey), false);
    const pkcs1 = nodeSign('sha256', hash, { key: privateKey, padding: constants.RSA_PKCS1_PADDING });
    assert.equal(verifyDAP(hash, new Uint8Array(pkcs1), publicKey), false);
    assert.equal(verifyDAP(hash, new Uint8Array(255), publicKey), false);
  });

  it('refuses RSA keys below 2048 bits', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    throwsTessera(() => signDAP(hash, small.privateKey), LibErrorCode.cryptoInput);
    throwsTessera(() => verifyDAP(hash, new Uint8Array(128), small.publicKey), LibErrorCode.cryptoInput);
  });
});
