import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fromHex, toHex } from '../../src/lib/bytes.js';
import { deriveICCMasterKey, deriveSessionKey, verifyARQC } from '../../src/lib/emv/index.js';
import { isTesseraError } from '../../src/lib/errors.js';
import { buildResponse, ISO8583_ASCII_DIALECT, type ISO8583Message } from '../../src/lib/iso8583/index.js';
import { decodeTLV, findTag } from '../../src/lib/tlv/index.js';
import { ISO8583Client, startISO8583Server, type ISO8583Server } from '../../src/bank/network/channel.js';
import { formatReceipt, pay, PosErrorCode, type ContactlessLink, type TerminalIdentity } from '../../src/pos/client.js';
import { ISSUER_MASTER_KEY, matchFinger, newDevice, PAN, PSN_DIGITS, relay, type Device } from '../applets/payment/fixture.js';

const IDENTITY: TerminalIdentity = { terminalId: 'TERM0001', merchantId: 'MERCHANT0000001', merchantName: 'Tessera Coffee', countryNumeric: 156 };
const AT = new Date('2026-11-21T12:34:56Z');

function linkTo(device: Device): ContactlessLink {
  return { transmit: (command) => Promise.resolve(fromHex(((response) => `${response.data}${response.sw.toString(16).padStart(4, '0')}`)(relay(device, toHex(command))))) };
}

function tlvValue(iccData: Uint8Array, tag: number): Uint8Array {
  const node = findTag(decodeTLV(iccData), tag);
  assert.ok(node !== undefined && !node.constructed, `field 55 has ${tag.toString(16)}`);
  return node.value;
}

/** A test issuer behind the acquirer port: verifies the ARQC from field 55 like the bank does, approves up to 100.00. */
function issuerAnswer(request: ISO8583Message): ISO8583Message {
  const icc = request.fields.get(55);
  assert.ok(icc instanceof Uint8Array);
  const iccMasterKey = deriveICCMasterKey({ issuerMasterKey: ISSUER_MASTER_KEY, pan: String(request.fields.get(2)), panSequenceNumber: PSN_DIGITS });
  const atc = tlvValue(icc, 0x9f36);
  const data = [0x9f02, 0x9f03, 0x9f1a, 0x95, 0x5f2a, 0x9a, 0x9c, 0x9f37, 0x82, 0x9f36, 0x9f10].map((tag) => toHex(tlvValue(icc, tag))).join('');
  try {
    verifyARQC({ sessionKey: deriveSessionKey({ iccMasterKey, atc, method: 'emv-csk' }), data: fromHex(data), receivedARQC: tlvValue(icc, 0x9f26) });
  } catch {
    return buildResponse(request, { responseCode: '05' });
  }
  if (request.fields.get(4) !== toHex(tlvValue(icc, 0x9f02))) return buildResponse(request, { responseCode: '05' });
  if (BigInt(String(request.fields.get(4))) > 10_000n) return buildResponse(request, { responseCode: '51' });
  return buildResponse(request, { responseCode: '00', fields: new Map([[38, 'A1B2C3']]) });
}

describe('POS terminal: contactless kernel → 0200 with field 55 → receipt', () => {
  let acquirer: ISO8583Server;
  let client: ISO8583Client;
  const requests: ISO8583Message[] = [];
  let silent = false;

  before(async () => {
    acquirer = await startISO8583Server({
      host: '127.0.0.1', port: 0, dialect: ISO8583_ASCII_DIALECT,
      handle: (request) => {
        requests.push(request);
        if (silent && request.mti === '0200') return new Promise<never>(() => {});
        return Promise.resolve(request.mti === '0400' ? buildResponse(request, { responseCode: '00' }) : issuerAnswer(request));
      },
    });
    client = await ISO8583Client.connect({ host: '127.0.0.1', port: acquirer.port, dialect: ISO8583_ASCII_DIALECT, requestTimeoutMs: 2_000 });
  });

  after(async () => {
    await client.close();
    await acquirer.close();
  });

  it('is approved with a receipt that shows only the last four digits', async () => {
    const device = await newDevice();
    matchFinger(device);
    const result = await pay(linkTo(device), client, IDENTITY, { amountMinor: 1234n, currencyNumeric: 156, at: AT, unpredictableNumber: fromHex('0A0B0C0D') });
    assert.equal(result.kind, 'approved');
    assert.ok(result.kind === 'approved');
    assert.equal(result.receipt.maskedPAN, '************0119');
    assert.equal(result.receipt.authorizationCode, 'A1B2C3');
    assert.equal(result.receipt.amount, 'CNY 12.34');
    assert.equal(result.receipt.atc, '0001');
    const printed = formatReceipt(result.receipt);
    assert.ok(!printed.includes(PAN), 'the receipt has no full PAN');
    assert.match(printed, /Result\s+APPROVED/);
    const request = requests.at(-1);
    assert.equal(request?.mti, '0200');
    assert.equal(request?.fields.get(22), '071');
    assert.equal(request?.fields.get(23), '001');
    assert.equal(request?.fields.get(35), `${PAN}D2912201` + '00000');
    assert.equal(request?.fields.get(49), '156');
  });

  it('is declined with the issuer code, and the kernel says "see phone" without a verification', async () => {
    const device = await newDevice();
    const unverified = await pay(linkTo(device), client, IDENTITY, { amountMinor: 500n, currencyNumeric: 156, at: AT, unpredictableNumber: fromHex('01020304') });
    assert.deepEqual(unverified, { kind: 'see-phone' });
    matchFinger(device);
    const declined = await pay(linkTo(device), client, IDENTITY, { amountMinor: 20_000n, currencyNumeric: 156, at: AT, unpredictableNumber: fromHex('01020304') });
    assert.equal(declined.kind, 'declined');
    assert.ok(declined.kind === 'declined');
    assert.equal(declined.responseCode, '51');
    assert.match(declined.receipt.result, /^DECLINED \(51 /);
  });

  it('reverses a request the acquirer does not answer, and says so', async () => {
    const device = await newDevice();
    matchFinger(device);
    silent = true;
    const quick = await ISO8583Client.connect({ host: '127.0.0.1', port: acquirer.port, dialect: ISO8583_ASCII_DIALECT, requestTimeoutMs: 150 });
    try {
      const error = await pay(linkTo(device), quick, IDENTITY, { amountMinor: 700n, currencyNumeric: 156, at: AT, unpredictableNumber: fromHex('05060708') }).catch((caught: unknown) => caught);
      assert.ok(isTesseraError(error) && error.code === PosErrorCode.acquirer);
      const reversal = requests.find((message) => message.mti === '0400' && message.fields.get(4) === '000000000700');
      assert.ok(reversal !== undefined, 'the 0400 reached the acquirer');
    } finally {
      silent = false;
      await quick.close();
    }
  });

  it('refuses bad terminal identities and amounts before touching the card', async () => {
    const device = await newDevice();
    const payment = { amountMinor: 100n, currencyNumeric: 156, at: AT, unpredictableNumber: fromHex('00000000') };
    await assert.rejects(pay(linkTo(device), client, { ...IDENTITY, terminalId: 'SHORT' }, payment), (error: unknown) => isTesseraError(error) && error.code === PosErrorCode.input);
    await assert.rejects(pay(linkTo(device), client, IDENTITY, { ...payment, amountMinor: 0n }), (error: unknown) => isTesseraError(error) && error.code === PosErrorCode.input);
    await assert.rejects(pay(linkTo(device), client, IDENTITY, { ...payment, currencyNumeric: 1 }), (error: unknown) => isTesseraError(error));
    assert.equal(device.carried.length, 0);
  });
});
