import assert from 'node:assert/strict';
import type { ExtendedKeyUsageName, KeyUsageName } from './types.js';
import { x509 } from './x509.js';

const KEY_USAGE_FLAGS: Readonly<Record<KeyUsageName, x509.KeyUsageFlags>> = {
  digitalSignature: x509.KeyUsageFlags.digitalSignature,
  keyAgreement: x509.KeyUsageFlags.keyAgreement,
};

const EXTENDED_KEY_USAGE_OIDS: Readonly<Record<ExtendedKeyUsageName, string>> = {
  serverAuth: x509.ExtendedKeyUsage.serverAuth,
  clientAuth: x509.ExtendedKeyUsage.clientAuth,
  codeSigning: x509.ExtendedKeyUsage.codeSigning,
};

export interface LeafExtensionOptions {
  readonly keyUsages: readonly KeyUsageName[];
  readonly extendedKeyUsages: readonly ExtendedKeyUsageName[];
  readonly altNames?: x509.JsonGeneralNames;
}

/**
 * An end-entity certificate's extensions: basicConstraints CA:FALSE and keyUsage (both critical,
 * RFC 5280 §4.2.1.9, §4.2.1.3), extendedKeyUsage when purposes are named (§4.2.1.12), and the
 * subjectAltName when given (§4.2.1.6).
 */
export function leafExtensions(options: LeafExtensionOptions): x509.Extension[] {
  assert.ok(options.keyUsages.length > 0, 'an end-entity certificate needs at least one key usage');
  const usageFlags = options.keyUsages.reduce((flags, name) => flags | KEY_USAGE_FLAGS[name], 0);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(usageFlags, true),
  ];
  if (options.extendedKeyUsages.length > 0) {
    const oids = [...new Set(options.extendedKeyUsages.map((name) => EXTENDED_KEY_USAGE_OIDS[name]))];
    extensions.push(new x509.ExtendedKeyUsageExtension(oids, false));
  }
  if (options.altNames !== undefined) extensions.push(new x509.SubjectAlternativeNameExtension(options.altNames, false));
  return extensions;
}
