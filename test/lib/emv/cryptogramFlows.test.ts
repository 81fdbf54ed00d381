import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../../src/lib/bytes.js';
import { type ISO9797PaddingMethod } from '../../../src/lib/crypto/index.js';
import {
  buildACData, computeARPC, computeARQC, computeKeyCheckValue, deriveCommonSessionKey, deriveICCMasterKey, deriveSessionKey,
  type MasterKeyDerivationOption, RECOMMENDED_CDOL1, verifyARPC, verifyARQC,
} from '../../../src/lib/emv/index.js';
import { isARQCInvalid, loadFixture } from './fixtures.js';

type SessionKeySpec =
  | { readonly method: 'common'; readonly diversification: string }
  | { readonly method: 'emv-csk'; readonly atc: string }
  | { readonly method: 'mastercard-skd'; readonly atc: string; readonly unpredictableNumber: string }
  | { readonly method: 'none' };

type ARPCSpec =
  | { readonly method: 1; readonly key: 'icc-master-key' | 'session-key'; readonly arc: string; readonly arpc: string }
  | {
    readonly method: 2;
    readonly key: 'icc-master-key' | 'session-key';
    readonly csu: string;
    readonly proprietaryAuthenticationData?: string;
    readonly arpc: string;
  };

interface FlowVector {
  readonly source: string;
  readonly issuerMasterKey: string;
  readonly issuerMasterKeyKCV?: string;
  readonly pan: string;
  readonly panSequenceNumber?: string;
  readonly option: MasterKeyDerivationOption;
  readonly iccMasterKeyKCV?: string;
  readonly sessionKey: SessionKeySpec;
  readonly sessionKeyKCV?: string;
  readonly data?: string;
  readonly transaction?: {
    readonly values: Readonly<Record<string, string>>;
    readonly cardTags: readonly string[];
    readonly trailer?: string;
  };
  readonly padding: ISO9797PaddingMethod;
  readonly arqc: string;
  readonly arpc?: ARPCSpec;
}

const fixture = loadFixture<FlowVector>('cryptogram-flows.json');

function kcv(key: Uint8Array, expected: string): string {
  return toHex(computeKeyCheckValue(key, expected.length / 2));
}

function sessionKeyOf(iccMasterKey: Uint8Array, spec: SessionKeySpec): Uint8Array {
  switch (spec.method) {
    case 'common':
      return deriveCommonSessionKey(iccMasterKey, fromHex(spec.diversification));
    case 'emv-csk':
      return deriveSessionKey({ iccMasterKey, atc: fromHex(spec.atc) });
    case 'mastercard-skd':
      return deriveSessionKey({ iccMasterKey, atc: fromHex(spec.atc), method: 'mastercard-skd', unpredictableNumber: fromHex(spec.unpredictableNumber) });
    case 'none':
      return deriveSessionKey({ iccMasterKey, method: 'none' });
  }
}

function dataOf(vector: FlowVector): Uint8Array {
  if (vector.data !== undefined) return fromHex(vector.data);
  const transaction = vector.transaction;
  assert.ok(transaction !== undefined, 'the vector has data or transaction values');
  const values = new Map(Object.entries(transaction.values).map(([tag, value]) => [Number.parseInt(tag, 16), fromHex(value)]));
  return buildACData({
    cdol: RECOMMENDED_CDOL1,
    values,
    cardTags: transaction.cardTags.map((tag) => Number.parseInt(tag, 16)),
    ...(transaction.trailer === undefined ? {} : { trailer: fromHex(transaction.trailer) }),
  });
}

describe('issuer flows: IMK -> ICC MK -> session key -> ARQC -> ARPC', () => {
  for (const vector of fixture.vectors) {
    it(vector.source, () => {
      const issuerMasterKey = fromHex(vector.issuerMasterKey);
      if (vector.issuerMasterKeyKCV !== undefined) assert.equal(kcv(issuerMasterKey, vector.issuerMasterKeyKCV), vector.issuerMasterKeyKCV);
      const iccMasterKey = deriveICCMasterKey({
        issuerMasterKey,
        pan: vector.pan,
        option: vector.option,
        ...(vector.panSequenceNumber === undefined ? {} : { panSequenceNumber: vector.panSequenceNumber }),
      });
      if (vector.iccMasterKeyKCV !== undefined) assert.equal(kcv(iccMasterKey, vector.iccMasterKeyKCV), vector.iccMasterKeyKCV, 'ICC master key');
      const sessionKey = sessionKeyOf(iccMasterKey, vector.sessionKey);
      if (vector.sessionKeyKCV !== undefined) assert.equal(kcv(sessionKey, vector.sessionKeyKCV), vector.sessionKeyKCV, 'session key');

      const data = dataOf(vector);
      assert.equal(toHex(computeARQC({ sessionKey, data, padding: vector.padding })), vector.arqc, 'ARQC');
      verifyARQC({ sessionKey, data, padding: vector.padding, receivedARQC: fromHex(vector.arqc) });
      // The ICC master key is not the session key (except for 'none'): using it must fail.
      if (vector.sessionKey.method !== 'none') {
        assert.throws(() => verifyARQC({ sessionKey: iccMasterKey, data, padding: vector.padding, receivedARQC: fromHex(vector.arqc) }), isARQCInvalid);
      }

      const spec = vector.arpc;
      if (spec === undefined) return;
      const key = spec.key === 'icc-master-key' ? iccMasterKey : sessionKey;
      const arqc = fromHex(vector.arqc);
      const input = spec.method === 1
        ? { method: 1 as const, key, arqc, arc: fromHex(spec.arc) }
        : {
          method: 2 as const,
          key,
          arqc,
          csu: fromHex(spec.csu),
          ...(spec.proprietaryAuthenticationData === undefined ? {} : { proprietaryAuthenticationData: fromHex(spec.proprietaryAuthenticationData) }),
        };
      assert.equal(toHex(computeARPC(input)), spec.arpc, 'ARPC');
      verifyARPC({ ...input, receivedARPC: fromHex(spec.arpc) });
    });
  }
});
