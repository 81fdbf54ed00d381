import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fromHex } from '../src/lib/bytes.js';
import { createSystemRandomSource } from '../src/lib/crypto/index.js';
import { encodeLoadFile } from '../src/lib/gp/index.js';
import { migrate, openDatabase } from '../src/infra/db/index.js';
import { createLogger } from '../src/infra/log/index.js';
import { CENTRAL_SD_AID, createMemoryCard, ISD_AID, MNO_SD_AID, newCardState } from '../src/card/client.js';
import { createEchoApplet, ECHO_FIRMWARE_CLASS } from '../src/applets/echo/client.js';
import {
  addMnoRoute, addServiceProvider, createMemoryKeyStore, issueSPCredential, loadOrCreateTsmPki, LocalCardLinks, registerSecureElement,
  SPClient, SPSecureChannel, startTsm, TSM_SCHEMA, tsmMigrations, type TsmContext, type TsmDatabase,
} from '../src/tsm/client.js';
import type { Benchmark, Measurement } from './harness.js';

/** Cards provisioned per run: TESSERA_BENCH_TSM_CARDS (bounded), 100 by default. */
const CARDS = Math.min(Number(process.env['TESSERA_BENCH_TSM_CARDS'] ?? 100), 20_000);
const BASELINE_REQUESTS = 300;
const KEY = fromHex('404142434445464748494A4B4C4D4E4F');
const SP_KEYS = { version: 0x02, enc: fromHex('A1A2A3A4A5A6A7A8A9AAABACADAEAFA0'), mac: fromHex('B1B2B3B4B5B6B7B8B9BABBBCBDBEBFB0'), dek: fromHex('C1C2C3C4C5C6C7C8C9CACBCCCDCECFC0') };

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/**
 * Full provisioning through the SP-TSM API (HTTPS, mutual TLS) with in-process cards: register,
 * pre-personalize, hand over keys, rotate them with PUT KEY, personalize with STORE DATA, activate,
 * end the conversation. The baseline is bare mutual-TLS requests per second to the same server
 * (GET /health), so the ratio says how many API round trips' worth one card costs. Heap use is
 * sampled after each tenth of the cards (after a garbage collection) to show it stays flat.
 */
export const tsmProvisioningBenchmark: Benchmark = {
  name: 'tsm-provisioning',
  description: `full provisioning of ${CARDS} in-process cards through the SP-TSM API (mutual TLS, PGlite) vs bare mutual-TLS requests`,
  async run() {
    const directory = mkdtempSync(join(tmpdir(), 'tessera-bench-tsm-'));
    const random = createSystemRandomSource();
    const logger = createLogger({ level: 'silent' });
    const handle = await openDatabase<TsmDatabase>({});
    await migrate(handle.db, TSM_SCHEMA, tsmMigrations);
    const keyStore = createMemoryKeyStore(random.bytes(32));
    const pki = await loadOrCreateTsmPki(join(directory, 'pki'), { random, now: new Date() });
    const admin: TsmContext = { db: handle.db, keyStore, cards: { linkFor: () => Promise.resolve(undefined) }, random, now: Date.now, logger, cardWaitMs: 0 };
    await addMnoRoute(admin, 'bench-mno', 'in-process', 'bench');
    await addServiceProvider(admin, 'bench-bank', 'bench');
    const cards = new LocalCardLinks();
    const tsm = await startTsm({ host: '127.0.0.1', port: 0, otaPort: 0, cardWaitMs: 0, workerIntervalMs: 60_000 }, {
      db: handle.db, keyStore, pki, random, now: Date.now, logger, extraCarriers: new Map([['in-process', cards]]),
    });
    const credential = await issueSPCredential(pki, 'bench-bank', { random, now: new Date() });
    const client = new SPClient({ url: tsm.url, certificate: credential.certificatePEM, privateKey: credential.privateKeyPEM, ca: pki.rootPEM });
    const loadFile = encodeLoadFile({ packageAID: fromHex('F0544553539901'), version: { major: 1, minor: 0 }, modules: [{ aid: fromHex('F054455353990101'), firmwareClass: ECHO_FIRMWARE_CLASS }] });
    await client.registerService({ serviceId: 'bench-pay', version: '1', packageAid: 'F0544553539901', moduleAid: 'F054455353990101', instanceAid: 'F0544553539901C1', loadFile });

    // Baseline: bare mutual-TLS round trips on a kept-alive connection.
    const agent = new Agent({ keepAlive: true, cert: credential.certificatePEM, key: credential.privateKeyPEM, ca: pki.rootPEM });
    const get = (): Promise<void> => new Promise((resolve, reject) => {
      request(`${tsm.url}/health`, { agent }, (response) => { response.resume(); response.on('end', resolve); }).on('error', reject).end();
    });
    let started = performance.now();
    for (let index = 0; index < BASELINE_REQUESTS; index++) await get();
    const baselineMs = performance.now() - started;
    agent.destroy();

    const heapSamples: number[] = [];
    started = performance.now();
    for (let index = 0; index < CARDS; index++) {
      const card = createMemoryCard(newCardState({ profile: 'uicc', random }), { firmware: new Map([[ECHO_FIRMWARE_CLASS, createEchoApplet]]), random });
      card.powerOn();
      const cin = card.state.cinHex;
      const msi = String(8613900000000 + index);
      await registerSecureElement(admin, {
        cin, iin: card.state.iinHex, msi, mno: 'bench-mno', profile: 'uicc', seType: 'uicc', gpVersion: '2.3.1', javacardVersion: '3.0.5',
        certificationLevel: 'virtual', masterKeyIndex: 1, expiresAt: new Date(Date.now() + 86_400_000),
        domains: [{ aid: ISD_AID, role: 'isd' }, { aid: MNO_SD_AID, role: 'mno' }, { aid: CENTRAL_SD_AID, role: 'central', keyset: { version: 0x30, enc: KEY, mac: KEY, dek: KEY } }],
      }, 'bench');
      cards.attach(cin, card);
      const conversation = await client.startConversation({ cin, msi, serviceId: 'bench-pay', serviceVersion: '1', spName: 'bench-bank', prn: `PRN${index}`, targetAid: 'F0544553539901C1', requestedOperation: 'personalization' });
      const pre = await client.prePersonalize(cin, 'bench-pay');
      if (pre.state !== 'completed') throw new Error(`pre-personalization ${pre.state}`);
      const provisional = await client.provisionalKeys(cin);
      const channel = await SPSecureChannel.open(client, conversation.conversationId, provisional, 0x03);
      await channel.rotateKeys(SP_KEYS);
      await channel.personalize('F0544553539901C1', [fromHex('5A0862000000000000055F2403301231')]);
      await client.activate({ cin, msi, serviceId: 'bench-pay', spName: 'bench-bank', prn: `PRN${index}` });
      await client.endConversation(conversation.conversationId, 'completed');
      cards.detach(cin);
      if ((index + 1) % Math.max(1, Math.floor(CARDS / 10)) === 0) {
        collectGarbage();
        heapSamples.push(process.memoryUsage().heapUsed);
      }
    }
    const provisioningMs = performance.now() - started;
    client.close();
    await tsm.stop();
    await handle.close();
    rmSync(directory, { recursive: true, force: true });

    const subject: Measurement = { name: 'cards provisioned', operations: CARDS, elapsedMs: provisioningMs, perSecond: (CARDS * 1000) / provisioningMs };
    const baseline: Measurement = { name: 'bare mutual-TLS GET /health', operations: BASELINE_REQUESTS, elapsedMs: baselineMs, perSecond: (BASELINE_REQUESTS * 1000) / baselineMs };
    const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
    return {
      name: 'tsm-provisioning',
      subject,
      baseline,
      ratio: subject.perSecond / baseline.perSecond,
      notes: [
        `cards per second: ${subject.perSecond.toFixed(1)} (issue target: 200 per core on PGlite)`,
        `heap after each tenth of the cards (MiB): ${heapSamples.map(mib).join(', ')}`,
        'each card: 10 API calls (conversation, pre-personalization, key hand-over, 5 SP-wrapped scripts, activation, end) plus the registration',
      ],
    };
  },
};
