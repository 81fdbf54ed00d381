import type { Kysely } from 'kysely';
import type { TsmDatabase } from './schema.js';
import type { CardLink, CardLinkProvider, CardRoute } from './types.js';

/**
 * Chooses how to reach a card from its MNO (seed 001: the central TSM reaches each SE over the
 * right mobile network): the route table maps the MNO to an OTA carrier, and each carrier has its
 * own link provider (an OTA gateway with its own admin URL).
 */
export class RoutedCardLinks implements CardLinkProvider {
  readonly #db: Kysely<TsmDatabase>;
  readonly #carriers: ReadonlyMap<string, CardLinkProvider>;

  constructor(db: Kysely<TsmDatabase>, carriers: ReadonlyMap<string, CardLinkProvider>) {
    this.#db = db;
    this.#carriers = carriers;
  }

  async linkFor(cin: string, waitMs: number, route?: CardRoute): Promise<CardLink | undefined> {
    const carrier = route?.otaCarrier ?? (await this.#db.selectFrom('tsm.secure_elements as se').innerJoin('tsm.mno_routes as r', 'r.mno', 'se.mno')
      .select('r.ota_carrier').where('se.cin', '=', cin).executeTakeFirst())?.ota_carrier;
    const provider = carrier === undefined ? undefined : this.#carriers.get(carrier);
    return provider?.linkFor(cin, waitMs);
  }
}
