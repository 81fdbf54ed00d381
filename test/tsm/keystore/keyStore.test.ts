import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fromHex, utf8 } from '../../../src/lib/bytes.js';
import { createDeterministicRandomSource, createSystemRandomSource } from '../../../src/lib/crypto/index.js';
import { TesseraError } from '../../../src/lib/errors.js';
import {
  KEK_BYTES,
  KeyStoreErrorCode,
  SEALED_BYTES_MIN,
  createFileKeyStore,
  createMemoryKeyStore,
  createVersionedKeyStore,
  kekVersionOf,
  resealKey,
} from '../../../src/tsm/keystore/index.js';

const random = createSystemRandomSource();
const kek = fromHex('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F');
// An SCP03 keyset (ENC ‖ MAC ‖ DEK, AES-128) made of the well-known GlobalPlatform default test key 40..4F.
const keyset = fromHex('404142434445464748494A4B4C4D4E4F' + '404142434445464748494A4B4C4D4E4F' + '404142434445464748494A4B4C4D4E4F');
const binding = 'A000000151000000/A0000001515350/30';

/** The one failure every bad open must produce: same code, same message. */
function isOpenFailure(error: unknown): boolean {
  return error instanceof TesseraError && error.code === KeyStoreErrorCode.openFailed && error.message === 'sealed key could not be opened';
}

function isKeyFileRefusal(pattern: RegExp) {
  return (error: unknown) => error instanceof TesseraError && error.code === KeyStoreErrorCode.keyFileInvalid && pattern.test(error.message);
}

describe('keystore sealing', () => {
  const store = createMemoryKeyStore(kek, { random });

  it('round-trips, with a fresh IV each time and the KEK version in front', () => {
    const first = store.seal('sd-keyset', keyset, binding);
    const second = store.seal('sd-keyset', keyset, binding);
    assert.notDeepEqual(first, second);
    assert.equal(first.length, 1 + 12 + keyset.length + 16);
    assert.equal(kekVersionOf(first), 1);
    assert.deepEqual(store.open('sd-keyset', first, binding), keyset);
    assert.deepEqual(store.open('sd-keyset', second, binding), keyset);
  });

  it('is deterministic under a pinned random source and the same KEK', () => {
    const pinned = () => createMemoryKeyStore(kek, { random: createDeterministicRandomSource(utf8('keystore')) });
    assert.deepEqual(pinned().seal('sd-keyset', keyset, binding), pinned().seal('sd-keyset', keyset, binding));
  });

  it('fails the same way for a wrong binding, purpose, KEK, version, or any altered byte', () => {
    const sealed = store.seal('sd-keyset', keyset, binding);
    assert.throws(() => store.open('sd-keyset', sealed, 'A000000151000000/A0000001515350/31'), isOpenFailure);
    assert.throws(() => store.open('ca-private-key', sealed, binding), isOpenFailure);
    assert.throws(() => createMemoryKeyStore(new Uint8Array(KEK_BYTES).fill(7)).open('sd-keyset', sealed, binding), isOpenFailure);
    assert.throws(() => createMemoryKeyStore(kek, { kekVersion: 2 }).open('sd-keyset', sealed, binding), isOpenFailure);
    for (let i = 0; i < sealed.length; i++) {
      const altered = sealed.slice();
      altered[i] = (altered[i] ?? 0) ^ 0x01;
      assert.throws(() => store.open('sd-keyset', altered, binding), isOpenFailure, `byte ${i}`);
    }
    assert.throws(() => store.open('sd-keyset', sealed.subarray(0, sealed.length - 1), binding), isOpenFailure);
    assert.throws(() => store.open('sd-keyset', new Uint8Array(SEALED_BYTES_MIN - 1), binding), isOpenFailure);
    assert.throws(() => store.open('sd-keyset', new Uint8Array(8192), binding), isOpenFailure);
  });

  it('treats a malformed purpose, binding or plaintext as a programming error', () => {
    assert.throws(() => store.seal('SD keyset', keyset, binding), assert.AssertionError);
    assert.throws(() => store.seal('sd-keyset', keyset, ''), assert.AssertionError);
    assert.throws(() => store.seal('sd-keyset', keyset, 'line\nbreak'), assert.AssertionError);
    assert.throws(() => store.seal('sd-keyset', new Uint8Array(0), binding), assert.AssertionError);
    assert.throws(() => createMemoryKeyStore(new Uint8Array(16)), assert.AssertionError);
  });

  it('opens values sealed under a retired KEK and reseals them under the current one', () => {
    const newKEK = new Uint8Array(KEK_BYTES).fill(0x5a);
    const sealedV1 = store.seal('sd-keyset', keyset, binding);
    const rotating = createVersionedKeyStore({ keks: [{ version: 2, kek: newKEK }, { version: 1, kek }], sealingVersion: 2, random });
    const sealedV2 = resealKey(rotating, 'sd-keyset', sealedV1, binding);
    assert.equal(kekVersionOf(sealedV2), 2);
    const afterRotation = createMemoryKeyStore(newKEK, { kekVersion: 2 });
    assert.deepEqual(afterRotation.open('sd-keyset', sealedV2, binding), keyset);
    assert.throws(() => afterRotation.open('sd-keyset', sealedV1, binding), isOpenFailure, 'the retired KEK is gone');
  });
});

describe('createFileKeyStore', () => {
  let directory: string;
  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'tessera-keystore-'));
  });
  after(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('creates a 32-byte KEK file with mode 0600 on first use, in a new 0700 directory', () => {
    const path = join(directory, 'fresh', 'kek');
    createFileKeyStore(path, { random });
    const status = statSync(path);
    assert.equal(status.mode & 0o777, 0o600);
    assert.equal(status.size, KEK_BYTES);
    assert.equal(statSync(join(directory, 'fresh')).mode & 0o777, 0o700);
  });

  it('keeps using the same KEK across instances', () => {
    const path = join(directory, 'persistent.kek');
    const sealed = createFileKeyStore(path, { random }).seal('ca-private-key', utf8('-----BEGIN PRIVATE KEY-----'), 'sp-ca');
    const before = readFileSync(path);
    const reopened = createFileKeyStore(path, { random });
    assert.deepEqual(readFileSync(path), before, 'the file is not rewritten');
    assert.deepEqual(reopened.open('ca-private-key', sealed, 'sp-ca'), utf8('-----BEGIN PRIVATE KEY-----'));
  });

  it('refuses a key file others can read or write, and accepts a narrower one', () => {
    const path = join(directory, 'wide.kek');
    createFileKeyStore(path, { random });
    for (const mode of [0o644, 0o640, 0o604, 0o660, 0o700]) {
      chmodSync(path, mode);
      assert.throws(() => createFileKeyStore(path, { random }), isKeyFileRefusal(new RegExp(`mode 0${mode.toString(8)}`)));
    }
    chmodSync(path, 0o400);
    createFileKeyStore(path, { random });
  });

  it('refuses a key file of the wrong size, a directory, and a symbolic link', () => {
    const short = join(directory, 'short.kek');
    writeFileSync(short, new Uint8Array(31), { mode: 0o600 });
    assert.throws(() => createFileKeyStore(short, { random }), isKeyFileRefusal(/holds 31 bytes; expected 32/));
    const long = join(directory, 'long.kek');
    writeFileSync(long, new Uint8Array(64), { mode: 0o600 });
    assert.throws(() => createFileKeyStore(long, { random }), isKeyFileRefusal(/holds 64 bytes/));
    const empty = join(directory, 'empty.kek');
    writeFileSync(empty, new Uint8Array(0), { mode: 0o600 });
    assert.throws(() => createFileKeyStore(empty, { random }), isKeyFileRefusal(/holds 0 bytes/));
    assert.throws(() => createFileKeyStore(directory, { random }), isKeyFileRefusal(/not a regular file/));
    const target = join(directory, 'target.kek');
    createFileKeyStore(target, { random });
    const link = join(directory, 'link.kek');
    symlinkSync(target, link);
    assert.throws(() => createFileKeyStore(link, { random }), isKeyFileRefusal(/symbolic link/));
  });

  it('opens under a retired key file during a rotation, and never creates a retired one', () => {
    const oldPath = join(directory, 'rotation-v1.kek');
    const sealedV1 = createFileKeyStore(oldPath, { random }).seal('sd-keyset', keyset, binding);
    const rotating = createFileKeyStore(join(directory, 'rotation-v2.kek'), { random, kekVersion: 2, retiredKeyFiles: [{ path: oldPath, kekVersion: 1 }] });
    const sealedV2 = resealKey(rotating, 'sd-keyset', sealedV1, binding);
    assert.equal(kekVersionOf(sealedV2), 2);
    assert.deepEqual(createFileKeyStore(join(directory, 'rotation-v2.kek'), { random, kekVersion: 2 }).open('sd-keyset', sealedV2, binding), keyset);
    assert.throws(
      () => createFileKeyStore(join(directory, 'rotation-v3.kek'), { random, kekVersion: 3, retiredKeyFiles: [{ path: join(directory, 'missing.kek'), kekVersion: 2 }] }),
      isKeyFileRefusal(/does not exist/),
    );
  });
});
