/**
 * The far side of the tsm-provisioning benchmark, in its own thread so that the TSM's thread does
 * only the TSM's work: the cards (as phones hold them; the TSM reaches them over a message
 * channel, as over an OTA link) and an SP TSM provisioning them through the SP-TSM API over
 * mutual TLS, a bounded number of cards in flight.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createEchoApplet, ECHO_FIRMWARE_CLASS } from '../src/applets/echo/client.js';
import { createMemoryCard, newCardState, type VirtualCard } from '../src/card/client.js';
import { fromHex } from '../src/lib/bytes.js';
import { createSystemRandomSource } from '../src/lib/crypto/index.js';
import { responseContinuesScript } from '../src/lib/ram/index.js';
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

/** Worker → TSM thread. */
export type SpWorkerMessage =
  | { readonly type: 'card-made'; readonly index: number; readonly cin: string; readonly iin: string }
  | { readonly type: 'card-done'; readonly index: number; readonly cin: string }
  | { readonly type: 'responses'; readonly exchange: number; readonly responses: readonly Uint8Array[] }
  | { readonly type: 'finished'; readonly failures: readonly string[] };

/** TSM thread → worker. */
export type TsmThreadMessage =
  | { readonly type: 'card-registered'; readonly index: number; readonly msi: string }
  | { readonly type: 'commands'; readonly exchange: number; readonly cin: string; readonly commands: readonly Uint8Array[] };

const SP_KEYS = { version: 0x02, enc: fromHex('A1A2A3A4A5A6A7A8A9AAABACADAEAFA0'), mac: fromHex('B1B2B3B4B5B6B7B8B9BABBBCBDBEBFB0'), dek: fromHex('C1C2C3C4C5C6C7C8C9CACBCCCDCECFC0') };
const port = parentPort;
if (port === null) throw new Error('tsmSpWorker runs as a worker thread');
const data = workerData as SpWorkerData;
const random = createSystemRandomSource();
const client = new SPClient({ url: data.url, certificate: data.certificate, privateKey: data.privateKey, ca: data.ca });
const registered = new Map<number, (msi: string) => void>();
const cards = new Map<string, VirtualCard>();


port.on('message', (message: TsmThreadMessage) => {
  if (message.type === 'card-registered') {
    registered.get(message.index)?.(message.msi);
    registered.delete(message.index);
    return;
  }
  // The card runs the batch and stops at the first error, as the OTA agent does.
  const card = cards.get(message.cin);
  const responses: Uint8Array[] = [];
  for (const command of card === undefined ? [] : message.commands) {
    const response = card?.transmit(command) ?? new Uint8Array(0);
    responses.push(response);
    if (!responseContinuesScript(response)) break;
  }
  port.postMessage({ type: 'responses', exchange: message.exchange, responses } satisfies SpWorkerMessage);
});

/** A new card, enrolled by the TSM thread (as an issuer does at manufacturing). */
function newCard(index: number): Promise<{ cin: string; msi: string }> {
  const card = createMemoryCard(newCardState({ profile: 'uicc', random }), { firmware: new Map([[ECHO_FIRMWARE_CLASS, createEchoApplet]]), random });
  card.powerOn();
  const cin = card.state.cinHex;
  cards.set(cin, card);
  return new Promise((resolve) => {
    registered.set(index, (msi) => resolve({ cin, msi }));
    port?.postMessage({ type: 'card-made', index, cin, iin: card.state.iinHex } satisfies SpWorkerMessage);
  });
}

async function provision(index: number): Promise<void> {
  const { cin, msi } = await newCard(index);
  const conversation = await client.startConversation({ cin, msi, serviceId: 'bench-pay', serviceVersion: '1', spName: 'bench-bank', prn: `PRN${index}`, targetAid: 'F0544553539901C1', requestedOperation: 'personalization' });
  const pre = await client.prePersonalize(cin, 'bench-pay');
  if (pre.state !== 'completed') throw new Error(`pre-personalization ${pre.state}`);
  const provisional = await client.provisionalKeys(cin);
  const channel = await SPSecureChannel.open(client, conversation.conversationId, provisional, 0x03);
  // EXTERNAL AUTHENTICATE, PUT KEY, INSTALL [for personalization] and STORE DATA as one script, as an SP TSM sends them.
  await channel.rotateKeys(SP_KEYS, SPSecureChannel.personalizationCommands('F0544553539901C1', [fromHex('5A0862000000000000055F2403301231')]));
  await client.activate({ cin, msi, serviceId: 'bench-pay', spName: 'bench-bank', prn: `PRN${index}` });
  await client.endConversation(conversation.conversationId, 'completed');
  const card = cards.get(cin);
  if (card?.state.registry.find((entry) => entry.aid === 'F0544553539901C1')?.lifeCycle !== 0x07) throw new Error('the card does not show the personalized instance');
  cards.delete(cin);
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
