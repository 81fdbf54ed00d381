/**
 * The SP side of the tsm-provisioning benchmark, in its own thread so that the TSM's thread does
 * only the TSM's work: an SP TSM provisioning cards through the SP-TSM API over mutual TLS, a
 * bounded number of cards in flight. The main thread hands out cards on request (it owns them,
 * as the OTA side of the TSM does) and is told when each is done.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { fromHex } from '../src/lib/bytes.js';
import { SPClient, SPSecureChannel } from '../src/tsm/client.js';

export interface SpWorkerData {
  readonly url: string;
  readonly certificate: string;
  readonly privateKey: string;
  readonly ca: string;
  /** `baseline`: bare GET /health requests, `cards` of them; `provision`: full provisioning of `cards` cards. */
  readonly mode: 'baseline' | 'provision';
  readonly cards: number;
  readonly inFlight: number;
}

export type SpWorkerMessage =
  | { readonly type: 'card-wanted'; readonly index: number }
  | { readonly type: 'card-done'; readonly index: number; readonly cin: string }
  | { readonly type: 'finished'; readonly failures: readonly string[] };

export interface CardGiven { readonly index: number; readonly cin: string; readonly msi: string }

const SP_KEYS = { version: 0x02, enc: fromHex('A1A2A3A4A5A6A7A8A9AAABACADAEAFA0'), mac: fromHex('B1B2B3B4B5B6B7B8B9BABBBCBDBEBFB0'), dek: fromHex('C1C2C3C4C5C6C7C8C9CACBCCCDCECFC0') };
const port = parentPort;
if (port === null) throw new Error('tsmSpWorker runs as a worker thread');
const data = workerData as SpWorkerData;
const client = new SPClient({ url: data.url, certificate: data.certificate, privateKey: data.privateKey, ca: data.ca });
const waiting = new Map<number, (card: CardGiven) => void>();
port.on('message', (card: CardGiven) => {
  waiting.get(card.index)?.(card);
  waiting.delete(card.index);
});

function cardFor(index: number): Promise<CardGiven> {
  return new Promise((resolve) => {
    waiting.set(index, resolve);
    port?.postMessage({ type: 'card-wanted', index } satisfies SpWorkerMessage);
  });
}

async function provision(index: number): Promise<void> {
  const { cin, msi } = await cardFor(index);
  const conversation = await client.startConversation({ cin, msi, serviceId: 'bench-pay', serviceVersion: '1', spName: 'bench-bank', prn: `PRN${index}`, targetAid: 'F0544553539901C1', requestedOperation: 'personalization' });
  const pre = await client.prePersonalize(cin, 'bench-pay');
  if (pre.state !== 'completed') throw new Error(`pre-personalization ${pre.state}`);
  const provisional = await client.provisionalKeys(cin);
  const channel = await SPSecureChannel.open(client, conversation.conversationId, provisional, 0x03);
  // PUT KEY, INSTALL [for personalization] and STORE DATA as one script, as an SP TSM sends them.
  await channel.rotateKeys(SP_KEYS, SPSecureChannel.personalizationCommands('F0544553539901C1', [fromHex('5A0862000000000000055F2403301231')]));
  await client.activate({ cin, msi, serviceId: 'bench-pay', spName: 'bench-bank', prn: `PRN${index}` });
  await client.endConversation(conversation.conversationId, 'completed');
  port?.postMessage({ type: 'card-done', index, cin } satisfies SpWorkerMessage);
}

const failures: string[] = [];
let next = 0;
async function lane(): Promise<void> {
  while (next < data.cards) {
    const index = next++;
    try {
      if (data.mode === 'baseline') await client.call('GET', '/health');
      else await provision(index);
    } catch (error) {
      failures.push(`card ${index}: ${error instanceof Error ? error.message : String(error)}`);
      if (failures.length >= 10) next = data.cards;
    }
  }
}
await Promise.all(Array.from({ length: Math.max(1, data.inFlight) }, () => lane()));
client.close();
port.postMessage({ type: 'finished', failures } satisfies SpWorkerMessage);
