import assert from 'node:assert/strict';
import { fromHex, toHex, utf8 } from '../../../src/lib/bytes.js';
import {
  createDeterministicRandomSource, exportECP256PublicKey, generateECP256KeyPair, type ECP256KeyPair, type RandomSource,
} from '../../../src/lib/crypto/index.js';
import { encodeInstallCommand } from '../../../src/lib/gp/index.js';
import { ISD_AID } from '../../../src/card/client.js';
import type { AppletContext } from '../../../src/card/types.js';
import {
  CRYPTO_SE_FIRMWARE_CLASS, CRYPTO_SE_TAG, TUNNEL_SOURCE, createCryptoSEApplet, encodeKeypadInput, encodePersonalization, getDataCommand,
  parseStatus, sealTunnelInput, type CallerIdentity, type CryptoSEPersonalization, type CryptoSEStatus, type KeypadInput,
} from '../../../src/applets/crypto-se/client.js';
import { CryptoSEStore } from '../../../src/applets/crypto-se/store.js';
import {
  echoLoadFile, installApplet, loadPackage, newTestCard, type Response, type SecureChannel, type TestCard,
} from '../../card/harness.js';

/** The card clock of every fixture starts here; `clock.advance` moves it. */
export const CARD_EPOCH_MS = Date.parse('2026-11-21T12:00:00Z');

export interface TestClock {
  now(): number;
  advance(milliseconds: number): void;
  set(epochMs: number): void;
}

/** An embedded card with the Crypto SE firmware and a clock the test can move (verification expiry, the monotonic clock). */
export interface ClockedTestCard extends TestCard {
  readonly clock: TestClock;
}

function newClockedTestCard(seed: string): ClockedTestCard {
  let nowMs = CARD_EPOCH_MS;
  const clock: TestClock = { now: () => nowMs, advance: (milliseconds) => { nowMs += milliseconds; }, set: (epochMs) => { nowMs = epochMs; } };
  return { ...newTestCard('embedded', { [CRYPTO_SE_FIRMWARE_CLASS]: createCryptoSEApplet }, seed, () => clock.now()), clock };
}

/** AIDs under Tessera's RID for the Crypto SE package, module and instance. */
export const CRYPTO_SE_PACKAGE_AID = 'F054455353C501';
export const CRYPTO_SE_MODULE_AID = 'F054455353C50101';
export const CRYPTO_SE_AID = 'F054455353C5010101';
export const PIN = '2580';

/** App SE applications the ACL knows: a wallet allowed everything, a loyalty app allowed only the masked PAN. */
export const WALLET: CallerIdentity = { aid: fromHex('A0000000041010AA01'), keyId: fromHex('7E55E7A0') };
export const LOYALTY: CallerIdentity = { aid: fromHex('A0000000041010BB02'), keyId: fromHex('7E55E7A0') };
/** Same AID as the wallet, signed with another TSM key: not in the ACL. */
export const WALLET_OTHER_KEY: CallerIdentity = { aid: WALLET.aid, keyId: fromHex('0BADBEEF') };
export const UNKNOWN_APP: CallerIdentity = { aid: fromHex('A0000000041010CC03'), keyId: fromHex('7E55E7A0') };

/** A peripheral with its pairing key and its own monotonic counter. */
export class Peripheral {
  counter = 0n;
  constructor(readonly sourceId: number, readonly pairingKey: Uint8Array) {}

  seal(input: Uint8Array): Uint8Array {
    this.counter += 1n;
    return sealTunnelInput(this.pairingKey, this.sourceId, this.counter, input);
  }
}

export class Keypad extends Peripheral {
  type(input: KeypadInput): Uint8Array {
    return this.seal(encodeKeypadInput(input));
  }
}

export interface CryptoSEFixture {
  readonly test: ClockedTestCard;
  readonly clock: TestClock;
  readonly random: RandomSource;
  readonly tsm: ECP256KeyPair;
  readonly recipient: ECP256KeyPair;
  readonly keypad: Keypad;
  readonly sensor: Peripheral;
  /** Every response the card gave, hex, for the "no secret ever leaves" checks. */
  readonly responses: string[];
  send(apdu: Uint8Array): Response;
  /** Sends all; every response but the last must be 9000. */
  sendAll(apdus: readonly Uint8Array[]): Response;
  select(): Response;
  status(): CryptoSEStatus;
  /** Power off and on, then SELECT again: a new session. */
  powerCycle(): void;
  /** STORE DATA through the ISD's SCP03 channel after INSTALL [for personalization]; answers each SW. */
  personalize(data: CryptoSEPersonalization): Promise<number[]>;
  personalizeRaw(blocks: readonly Uint8Array[]): Promise<number[]>;
  /** The applet's store as the card keeps it (hex values). */
  appletStore(): Record<string, string>;
  /** A CryptoSEStore over the committed state, to look inside like an attacker with the card image. */
  inspect(): CryptoSEStore;
}

export interface FixtureOptions {
  readonly seed?: string;
  readonly personalization?: CryptoSEPersonalization;
  /** Skip the default personalization. */
  readonly bare?: boolean;
}

async function startPersonalization(isd: SecureChannel): Promise<void> {
  const install = encodeInstallCommand({ kind: 'personalization', applicationAID: fromHex(CRYPTO_SE_AID) });
  assert.equal((await isd.send({ ins: 0xe6, p1: install.p1, p2: 0x00, data: install.data })).sw, 0x9000, 'INSTALL [for personalization]');
}

export function defaultPersonalization(keys: { tsm: ECP256KeyPair; recipient: ECP256KeyPair; keypad: Uint8Array; sensor: Uint8Array }): CryptoSEPersonalization {
  return {
    pin: PIN,
    tsmPublicKey: exportECP256PublicKey(keys.tsm.publicKey),
    keypadPairingKey: keys.keypad,
    sensorPairingKey: keys.sensor,
    paymentRecipientPublicKey: exportECP256PublicKey(keys.recipient.publicKey),
    acl: [
      { aid: WALLET.aid, keyId: WALLET.keyId, operations: ['authorizePayment', 'readMaskedPAN', 'sign'] },
      { aid: LOYALTY.aid, keyId: LOYALTY.keyId, operations: ['readMaskedPAN'] },
    ],
  };
}

/** A virtual embedded SE with the Crypto SE loaded, installed and personalized through the ISD over SCP03. */
export async function newCryptoSE(options: FixtureOptions = {}): Promise<CryptoSEFixture> {
  const seed = options.seed ?? 'crypto-se fixture';
  const random = createDeterministicRandomSource(utf8(`${seed}/host`));
  const test = newClockedTestCard(seed);
  const tsm = generateECP256KeyPair(random);
  const recipient = generateECP256KeyPair(random);
  const keypad = new Keypad(TUNNEL_SOURCE.keypad, random.bytes(32));
  const sensor = new Peripheral(TUNNEL_SOURCE.sensor, random.bytes(32));
  const responses: string[] = [];

  const isd = await test.secure(ISD_AID);
  const loaded = await loadPackage(isd, echoLoadFile(CRYPTO_SE_PACKAGE_AID, CRYPTO_SE_MODULE_AID, CRYPTO_SE_FIRMWARE_CLASS));
  assert.ok(loaded.every((response) => response.sw === 0x9000), 'LOAD');
  assert.equal((await installApplet(isd, { packageAid: CRYPTO_SE_PACKAGE_AID, moduleAid: CRYPTO_SE_MODULE_AID, aid: CRYPTO_SE_AID })).sw, 0x9000, 'INSTALL');

  const personalizeRaw = async (blocks: readonly Uint8Array[]): Promise<number[]> => {
    const channel = await test.secure(ISD_AID);
    await startPersonalization(channel);
    const answers: number[] = [];
    for (const [index, block] of blocks.entries()) {
      answers.push((await channel.send({ ins: 0xe2, p1: index === blocks.length - 1 ? 0x80 : 0x00, p2: index, data: block })).sw);
    }
    return answers;
  };
  const fixture: CryptoSEFixture = {
    test, clock: test.clock, random, tsm, recipient, keypad, sensor, responses,
    send(apdu) {
      const response = test.send(toHex(apdu));
      responses.push(response.data);
      return response;
    },
    sendAll(apdus) {
      let last: Response = { data: '', sw: 0x6f00 };
      for (const [index, apdu] of apdus.entries()) {
        last = fixture.send(apdu);
        if (index < apdus.length - 1) assert.equal(last.sw, 0x9000, `block ${index}`);
      }
      return last;
    },
    select() {
      return test.select(CRYPTO_SE_AID);
    },
    status() {
      const response = fixture.send(getDataCommand(CRYPTO_SE_TAG.status));
      assert.equal(response.sw, 0x9000);
      return parseStatus(fromHex(response.data));
    },
    powerCycle() {
      test.card.powerOff();
      test.card.powerOn();
      assert.equal(fixture.select().sw, 0x9000);
    },
    personalize: (data) => personalizeRaw(encodePersonalization(data)),
    personalizeRaw,
    appletStore() {
      return test.card.state.applets[CRYPTO_SE_AID] ?? {};
    },
    inspect() {
      const state = () => test.card.state.applets[CRYPTO_SE_AID] ?? {};
      const context: AppletContext = {
        aid: fromHex(CRYPTO_SE_AID),
        installParameters: new Uint8Array(0),
        store: {
          get: (name) => (state()[name] === undefined ? undefined : fromHex(state()[name] ?? '')),
          set: () => assert.fail('inspection is read-only'),
          delete: () => assert.fail('inspection is read-only'),
        },
        randomBytes: (length) => random.bytes(length),
        now: () => test.clock.now(),
      };
      return new CryptoSEStore(context);
    },
  };
  if (options.bare !== true) {
    const answers = await fixture.personalize(options.personalization ?? defaultPersonalization({ tsm, recipient, keypad: keypad.pairingKey, sensor: sensor.pairingKey }));
    assert.ok(answers.every((sw) => sw === 0x9000), `personalization answered ${answers.map((sw) => sw.toString(16)).join(' ')}`);
  }
  assert.equal(fixture.select().sw, 0x9000, 'SELECT the Crypto SE');
  return fixture;
}

export function sw(response: Response): string {
  return response.sw.toString(16).toUpperCase();
}
