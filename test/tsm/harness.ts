import { fromHex } from '../../src/lib/bytes.js';
import { createDeterministicRandomSource, createSystemRandomSource } from '../../src/lib/crypto/index.js';
import { encodeLoadFile } from '../../src/lib/gp/index.js';
import { migrate } from '../../src/infra/db/index.js';
import { createLogger } from '../../src/infra/log/index.js';
import { CENTRAL_SD_AID, createMemoryCard, ISD_AID, MNO_SD_AID, newCardState, type VirtualCard } from '../../src/card/client.js';
import { createEchoApplet, ECHO_FIRMWARE_CLASS } from '../../src/applets/echo/client.js';
import { createMemoryKeyStore } from '../../src/tsm/keystore/index.js';
import type { TsmContext } from '../../src/tsm/context.js';
import { LocalCardLinks } from '../../src/tsm/localCards.js';
import { tsmMigrations, type TsmDatabase } from '../../src/tsm/schema.js';
import { addMnoRoute, addServiceProvider, registerSecureElement } from '../../src/tsm/registry.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';

export const TEST_KEY = fromHex('404142434445464748494A4B4C4D4E4F');
export const ECHO_PACKAGE_AID = 'F0544553539901';
export const ECHO_MODULE_AID = 'F054455353990101';
export const ECHO_LOAD_FILE = encodeLoadFile({ packageAID: fromHex(ECHO_PACKAGE_AID), version: { major: 1, minor: 0 }, modules: [{ aid: fromHex(ECHO_MODULE_AID), firmwareClass: ECHO_FIRMWARE_CLASS }] });

export interface TsmHarness {
  readonly database: TestDatabase<TsmDatabase>;
  readonly context: TsmContext;
  readonly cards: LocalCardLinks;
  /** Makes a UICC card, registers it with the TSM under `msi`, and attaches it locally. */
  newCard(msi: string, seed?: string): Promise<{ card: VirtualCard; cin: string }>;
  close(): Promise<void>;
}

export async function openTsmHarness(options: { now?: () => number } = {}): Promise<TsmHarness> {
  const database = await openTestDatabase<TsmDatabase>();
  await migrate(database.db, 'tsm', tsmMigrations);
  const cards = new LocalCardLinks();
  const context: TsmContext = {
    db: database.db,
    keyStore: createMemoryKeyStore(createSystemRandomSource().bytes(32)),
    cards,
    random: createSystemRandomSource(),
    now: options.now ?? Date.now,
    logger: createLogger({ level: 'silent' }),
    cardWaitMs: 0,
  };
  await addMnoRoute(context, 'Tessera Mobile', 'tessera-ota-http', 'test');
  await addServiceProvider(context, 'bank-a', 'test');
  await addServiceProvider(context, 'bank-b', 'test');
  return {
    database,
    context,
    cards,
    async newCard(msi, seed = msi) {
      const random = createDeterministicRandomSource(new TextEncoder().encode(seed));
      const card = createMemoryCard(newCardState({ profile: 'uicc', random }), { firmware: new Map([[ECHO_FIRMWARE_CLASS, createEchoApplet]]), random });
      card.powerOn();
      const cin = card.state.cinHex;
      await registerSecureElement(context, {
        cin, iin: card.state.iinHex, msi, mno: 'Tessera Mobile', profile: 'uicc', seType: 'uicc', gpVersion: '2.3.1', javacardVersion: '3.0.5',
        certificationLevel: 'EMVCo (virtual)', masterKeyIndex: card.state.masterKeyIndex, expiresAt: new Date(Date.now() + 365 * 86_400_000),
        domains: [
          { aid: ISD_AID, role: 'isd' },
          { aid: MNO_SD_AID, role: 'mno' },
          { aid: CENTRAL_SD_AID, role: 'central', keyset: { version: 0x30, enc: TEST_KEY, mac: TEST_KEY, dek: TEST_KEY } },
        ],
      }, 'test');
      cards.attach(cin, card);
      return { card, cin };
    },
    close: () => database.close(),
  };
}
