/**
 * One piece of card work at a time per card. A card has one basic channel: a SELECT for one
 * script would end the secure channel of another, so work for one card is serialized. In process
 * only: several TSM instances must route a card's agent to one instance (docs/tsm.md).
 */
export class CardLocks {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(cin: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(cin) ?? Promise.resolve();
    let release: () => void = () => undefined;
    const current = new Promise<void>((resolve) => { release = resolve; });
    const tail = previous.then(() => current);
    this.#tails.set(cin, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      // Forget the card once nobody waits behind this work, so the map stays bounded by busy cards.
      if (this.#tails.get(cin) === tail) this.#tails.delete(cin);
    }
  }
}
