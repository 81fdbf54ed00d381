import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { concatBytes, fromHex, toHex } from '../../src/lib/bytes.js';
import { encodeCommandAPDU } from '../../src/lib/apdu.js';
import { createDeterministicRandomSource } from '../../src/lib/crypto/index.js';
import {
  encodeInstallCommand, encodeLoadData, encodeLoadFile, loadFileDataBlockHash, signDAP, splitLoadData, type LoadFile, type PrivilegeName,
} from '../../src/lib/gp/index.js';
import { encryptKeyWithDEK, computeAESKeyCheckValue, openSCP03, type SCP03Channel } from '../../src/lib/scp03/index.js';
import { encodeTLV, primitiveNode } from '../../src/lib/tlv/index.js';
import { createMemoryCard, newCardState, type ProfileName, type VirtualCard, type Applet } from '../../src/card/client.js';
import { createEchoApplet, ECHO_FIRMWARE_CLASS } from '../../src/applets/echo/client.js';

export const TEST_KEY = fromHex('404142434445464748494A4B4C4D4E4F');
export const ECHO_PACKAGE_AID = 'F0544553539901';
export const ECHO_MODULE_AID = 'F054455353990101';

/** Firmware of the test cards: the echo applet plus whatever a test adds. */
export function testFirmware(extra: Record<string, () => Applet> = {}): Map<string, () => Applet> {
  return new Map<string, () => Applet>([[ECHO_FIRMWARE_CLASS, createEchoApplet], ...Object.entries(extra)]);
}

export interface Response {
  readonly data: string;
  readonly sw: number;
}

export function split(response: Uint8Array): Response {
  return { data: toHex(response.subarray(0, response.length - 2)), sw: ((response[response.length - 2] ?? 0) << 8) | (response[response.length - 1] ?? 0) };
}

export interface TestCard {
  readonly card: VirtualCard;
  /** Sends hex, answers data (hex) and SW. */
  send(hex: string): Response;
  select(aid: string): Response;
  /** Selects `aid` and opens SCP03 with `keys` (default test keys) at `level`. */
  secure(aid: string, options?: { key?: Uint8Array; keyVersion?: number; level?: number }): Promise<SecureChannel>;
}

export interface SecureChannel {
  readonly channel: SCP03Channel;
  send(command: { cla?: number; ins: number; p1: number; p2: number; data?: Uint8Array | string; le?: number }): Promise<Response>;
}

/** A card on a fixed clock unless the test gives one (`now`) it can move. */
export function newTestCard(
  profile: ProfileName = 'uicc',
  extraFirmware: Record<string, () => Applet> = {},
  seed = 'tessera test card',
  now: () => number = () => Date.parse('2026-11-21T12:00:00Z'),
): TestCard {
  const random = createDeterministicRandomSource(new TextEncoder().encode(seed));
  const errors: unknown[] = [];
  const card = createMemoryCard(newCardState({ profile, random, manufacturedAt: new Date('2026-11-21T00:00:00Z') }), {
    firmware: testFirmware(extraFirmware),
    random,
    now,
    onInternalError: (error) => errors.push(error),
  });
  card.powerOn();
  const send = (hex: string): Response => {
    const response = split(card.transmit(fromHex(hex)));
    if (errors.length > 0) throw new Error(`card internal error: ${String(errors[0])}`, { cause: errors[0] });
    return response;
  };
  return {
    card,
    send,
    select: (aid) => send(`00A40400${(aid.length / 2).toString(16).padStart(2, '0')}${aid}`),
    async secure(aid, options = {}) {
      const selected = send(`00A40400${(aid.length / 2).toString(16).padStart(2, '0')}${aid}`);
      if (selected.sw !== 0x9000) throw new Error(`SELECT ${aid} answered ${selected.sw.toString(16)}`);
      const key = options.key ?? TEST_KEY;
      const channel = await openSCP03((apdu) => card.transmit(apdu), { keyVersion: options.keyVersion ?? 0x30, enc: key, mac: key, dek: key }, {
        securityLevel: (options.level ?? 0x33) as 0x33,
        random,
      });
      return wrapChannel(channel);
    },
  };
}

/** A secure channel that sends GP commands given as fields and answers hex data and SW. */
export function wrapChannel(channel: SCP03Channel): SecureChannel {
  return {
    channel,
    async send(command) {
      const data = typeof command.data === 'string' ? fromHex(command.data) : command.data ?? new Uint8Array(0);
      const apdu = encodeCommandAPDU({ cla: command.cla ?? 0x80, ins: command.ins, p1: command.p1, p2: command.p2, data, ...(command.le === undefined ? {} : { le: command.le }) });
      return split(await channel.transmit(apdu));
    },
  };
}

export function echoLoadFile(packageAid = ECHO_PACKAGE_AID, moduleAid = ECHO_MODULE_AID, firmwareClass = ECHO_FIRMWARE_CLASS): LoadFile {
  return { packageAID: fromHex(packageAid), version: { major: 1, minor: 2 }, modules: [{ aid: fromHex(moduleAid), firmwareClass }] };
}

/** INSTALL [for load] + LOAD blocks of a load file into `sdAid`'s domain, with optional DAP blocks. */
export async function loadPackage(
  channel: SecureChannel,
  file: LoadFile,
  options: { sdAid?: string; dap?: { sdAid: string; key: KeyObject }[]; blockBytes?: number; announcedHash?: Uint8Array; dataBlock?: Uint8Array } = {},
): Promise<Response[]> {
  const block = options.dataBlock ?? encodeLoadFile(file);
  const hash = loadFileDataBlockHash(block);
  const install = encodeInstallCommand({
    kind: 'load', loadFileAID: file.packageAID, securityDomainAID: fromHex(options.sdAid ?? ''),
    loadFileDataBlockHash: options.announcedHash ?? hash, loadParameters: { other: [] }, loadToken: new Uint8Array(0),
  });
  const responses = [await channel.send({ ins: 0xe6, p1: install.p1, p2: 0x00, data: install.data })];
  if (responses[0]?.sw !== 0x9000) return responses;
  const loadData = encodeLoadData({
    dapBlocks: (options.dap ?? []).map((dap) => ({ securityDomainAID: fromHex(dap.sdAid), signature: signDAP(hash, dap.key) })),
    loadFileDataBlock: block,
  });
  for (const piece of splitLoadData(loadData, options.blockBytes ?? 200)) {
    responses.push(await channel.send({ ins: 0xe8, p1: piece.p1, p2: piece.p2, data: piece.data }));
  }
  return responses;
}

export async function installApplet(
  channel: SecureChannel,
  options: { packageAid?: string; moduleAid?: string; aid: string; privileges?: PrivilegeName[]; parameters?: string; makeSelectable?: boolean },
): Promise<Response> {
  const install = encodeInstallCommand({
    kind: 'install',
    makeSelectable: options.makeSelectable ?? true,
    loadFileAID: fromHex(options.packageAid ?? ECHO_PACKAGE_AID),
    moduleAID: fromHex(options.moduleAid ?? ECHO_MODULE_AID),
    applicationAID: fromHex(options.aid),
    privileges: options.privileges ?? [],
    privilegesLength: 3,
    installParameters: { applicationSpecific: fromHex(options.parameters ?? ''), other: [] },
    installToken: new Uint8Array(0),
  });
  return channel.send({ ins: 0xe6, p1: install.p1, p2: 0x00, data: install.data });
}

export async function extradite(channel: SecureChannel, aid: string, sdAid: string): Promise<Response> {
  const install = encodeInstallCommand({ kind: 'extradition', securityDomainAID: fromHex(sdAid), aid: fromHex(aid), parameters: { other: [] }, token: new Uint8Array(0) });
  return channel.send({ ins: 0xe6, p1: install.p1, p2: 0x00, data: install.data });
}

/** PUT KEY data for a new AES keyset (K-ENC = enc, K-MAC = mac, K-DEK = dek), encrypted under `currentDek`. */
export function putKeyData(newVersion: number, keys: { enc: Uint8Array; mac: Uint8Array; dek: Uint8Array }, currentDek: Uint8Array, breakCheckValue = false): Uint8Array {
  const parts = [keys.enc, keys.mac, keys.dek].map((key) => {
    const keyData = encryptKeyWithDEK(currentDek, key);
    const checkValue = computeAESKeyCheckValue(key);
    if (breakCheckValue) checkValue[0] = (checkValue[0] ?? 0) ^ 0xff;
    return concatBytes(Uint8Array.of(0x88, keyData.length), keyData, Uint8Array.of(checkValue.length), checkValue);
  });
  return concatBytes(Uint8Array.of(newVersion), ...parts);
}

export function newDAPKey(): { privateKey: KeyObject; publicKeySpki: Uint8Array } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicKeySpki: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })) };
}

/** STORE DATA (BER-TLV, last block) giving a security domain its DAP public key. */
export function dapKeyStoreData(publicKeySpki: Uint8Array): Uint8Array {
  return encodeTLV([primitiveNode(0xdf70, publicKeySpki)]);
}
