import type { SmartCard } from '../card/types.js';
import { responseContinuesScript } from '../lib/ram/index.js';
import type { CardLink, CardLinkProvider } from './types.js';


/**
 * Cards in the same process, reachable at once: for tests, benchmarks and `tessera up`'s demo
 * device. Same contract as the OTA gateway's links: a batch stops at the first error status word.
 */
export class LocalCardLinks implements CardLinkProvider {
  readonly #cards = new Map<string, SmartCard>();

  attach(cin: string, card: SmartCard): void {
    this.#cards.set(cin, card);
  }

  detach(cin: string): void {
    this.#cards.delete(cin);
  }

  linkFor(cin: string): Promise<CardLink | undefined> {
    const card = this.#cards.get(cin);
    if (card === undefined) return Promise.resolve(undefined);
    return Promise.resolve({
      exchange(commands: readonly Uint8Array[]): Promise<Uint8Array[]> {
        const responses: Uint8Array[] = [];
        for (const command of commands) {
          const response = card.transmit(command);
          responses.push(response);
          if (!responseContinuesScript(response)) break;
        }
        return Promise.resolve(responses);
      },
    });
  }
}
