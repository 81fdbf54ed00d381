// @peculiar/x509 resolves its algorithm providers through tsyringe, which reads decorator metadata
// through the Reflect API at load time: the polyfill must be evaluated first. ES modules evaluate
// imports in order, so this line stays above the library's import. Every use of the library in
// Tessera goes through this module for that reason.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// The library's default provider is globalThis.crypto; naming node's WebCrypto explicitly keeps the
// choice visible and independent of globals. Setting it is idempotent. (The library's types name the
// DOM's Crypto, which this project's `lib` does not declare, so TypeScript checks nothing here.)
x509.cryptoProvider.set(webcrypto);

export { x509 };
