import assert from 'node:assert/strict';
import { createEchoApplet, ECHO_FIRMWARE_CLASS } from '../../../../src/applets/echo/client.js';
import { createMemoryCard, DEFAULT_TEST_KEY_HEX, newCardState, type ProfileName, type VirtualCard } from '../../../../src/card/client.js';
import { parseCommandAPDU } from '../../../../src/lib/apdu.js';
import { fromHex, toHex } from '../../../../src/lib/bytes.js';
import { createDeterministicRandomSource } from '../../../../src/lib/crypto/index.js';
import { TesseraError } from '../../../../src/lib/errors.js';
import { encodeLoadFile } from '../../../../src/lib/gp/index.js';
import { GPManager } from '../../../../src/lib/gp/host/index.js';
import { responseContinuesScript } from '../../../../src/lib/ram/index.js';

export const TEST_KEY = fromHex(DEFAULT_TEST_KEY_HEX);
export const TEST_KEYS = { enc: TEST_KEY, mac: TEST_KEY, dek: TEST_KEY } as const;
export const ISD = fromHex('A000000151000000');
export const CENTRAL_SD = fromHex('F054455353000001');
export const ECHO_PACKAGE = fromHex('F054455353EC');
export const ECHO_MODULE = fromHex('F054455353EC01');

/** A Tessera load file with the echo applet (docs/load-file-format.md); `extraModules` pads it to test LOAD splitting. */
export function echoLoadFile(extraModules = 0): Uint8Array {
  const modules = [{ aid: ECHO_MODULE, firmwareClass: ECHO_FIRMWARE_CLASS }];
  for (let i = 0; i < extraModules; i++) {
    modules.push({ aid: fromHex(`F054455353EC${(0x10 + i).toString(16).toUpperCase()}`), firmwareClass: ECHO_FIRMWARE_CLASS });
  }
  return encodeLoadFile({ packageAID: ECHO_PACKAGE, version: { major: 1, minor: 2 }, modules });
}

export interface WireCommand {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  readonly dataBytes: number;
  readonly sw: number;
}

export interface HostBench {
  readonly card: VirtualCard;
  readonly manager: GPManager;
  /** Every command as it went over the wire (after secure messaging), with the status word answered. */
  readonly wire: WireCommand[];
  /** Answers the next wire command matching `when` with `sw` instead of the card's answer (the card still runs it). */
  overrideNext(when: (command: WireCommand) => boolean, sw: number): void;
  /** Replaces the card's answer to the next wire command matching `when` with `rewrite(answer)`: a meddler on the wire. */
  rewriteNext(when: (command: WireCommand) => boolean, rewrite: (response: Uint8Array) => Uint8Array): void;
  /** A second manager on the same card (a new host after the first one is done). */
  newManager(): GPManager;
  /**
   * A manager whose scripts go as one exchange each (as over an OTA link), the card stopping after
   * the first failure; `exchanges` counts them, one per single transmit too.
   */
  newScriptManager(): GPManager;
  readonly exchanges: { count: number };
}

/** A real virtual card (lib/card runtime, echo firmware) and a GPManager transmitting to it in process. */
export function newHostBench(profile: ProfileName = 'uicc', seed = 'gp host tests'): HostBench {
  const random = createDeterministicRandomSource(new TextEncoder().encode(seed));
  const errors: unknown[] = [];
  const card = createMemoryCard(newCardState({ profile, random }), {
    firmware: new Map([[ECHO_FIRMWARE_CLASS, createEchoApplet]]),
    random,
    onInternalError: (error) => errors.push(error),
  });
  card.powerOn();
  const wire: WireCommand[] = [];
  const overrides: { when: (command: WireCommand) => boolean; rewrite: (response: Uint8Array) => Uint8Array }[] = [];
  const transmit = async (command: Uint8Array): Promise<Uint8Array> => {
    const parsed = parseCommandAPDU(command);
    const response = card.transmit(command);
    assert.deepEqual(errors, [], 'the card failed internally');
    const sw = ((response.at(-2) ?? 0) << 8) | (response.at(-1) ?? 0);
    const entry = { cla: parsed.cla, ins: parsed.ins, p1: parsed.p1, p2: parsed.p2, dataBytes: parsed.data.length, sw };
    const index = overrides.findIndex((override) => override.when(entry));
    const override = index >= 0 ? overrides.splice(index, 1)[0] : undefined;
    if (override !== undefined) {
      const replaced = override.rewrite(response);
      wire.push({ ...entry, sw: ((replaced.at(-2) ?? 0) << 8) | (replaced.at(-1) ?? 0) });
      return replaced;
    }
    wire.push(entry);
    return Promise.resolve(response);
  };
  const newManager = (): GPManager => new GPManager(transmit, { random });
  const exchanges = { count: 0 };
  const newScriptManager = (): GPManager => new GPManager(
    (command) => {
      exchanges.count++;
      return transmit(command);
    },
    {
      random,
      transmitScript: async (commands) => {
        exchanges.count++;
        const responses: Uint8Array[] = [];
        for (const command of commands) {
          const response = await transmit(command);
          responses.push(response);
          if (!responseContinuesScript(response)) break;
        }
        return responses;
      },
    },
  );
  return {
    card,
    manager: newManager(),
    newScriptManager,
    exchanges,
    wire,
    overrideNext: (when, sw) => overrides.push({ when, rewrite: () => Uint8Array.of(sw >> 8, sw & 0xff) }),
    rewriteNext: (when, rewrite) => overrides.push({ when, rewrite }),
    newManager,
  };
}

/** Selects `sd` and opens SCP03 with the default test keys (or `keys`). */
export async function authenticate(manager: GPManager, sd: Uint8Array = ISD, keys: { enc: Uint8Array; mac: Uint8Array; dek: Uint8Array } = TEST_KEYS, level: 0x01 | 0x03 | 0x13 | 0x33 = 0x03): Promise<void> {
  await manager.selectSecurityDomain(sd);
  await manager.openSecureChannel(keys, level);
}

export async function rejectsWith(action: Promise<unknown>, code: string, sw?: string): Promise<TesseraError> {
  let caught: unknown;
  try {
    await action;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof TesseraError, `expected a TesseraError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (sw !== undefined) assert.equal(caught.details?.['sw'], sw, caught.message);
  return caught;
}

export function hex(bytes: Uint8Array): string {
  return toHex(bytes);
}
