/**
 * Published types of the central TSM: what other parts of Tessera (CLI, device, card agent) may
 * rely on. The wire formats themselves are in the OpenAPI document the TSM serves at /docs.
 */

/**
 * A way to reach one secure element: batches of command APDUs out, response APDUs back, in order.
 * Over the air this is the card's admin agent (GlobalPlatform Amendment B, HTTP); in tests and
 * benchmarks it can be a card in the same process. A link stops at the first response whose status
 * word is not a success (9000, 61xx, 62xx, 63xx), as the remote APDU format does by default, so the
 * answer may be shorter than the batch.
 */
export interface CardLink {
  /** Sends the APDUs in order; resolves with one response per command that was executed. */
  exchange(commands: readonly Uint8Array[]): Promise<Uint8Array[]>;
}

/** How the TSM reaches a card now: the OTA carrier its MNO's route names. */
export interface CardRoute {
  readonly otaCarrier: string;
}

/** Where a link to a card comes from: the OTA gateway (agent connections) or a test harness. */
export interface CardLinkProvider {
  /**
   * The link to the card with this CIN (hex), waiting up to `waitMs` for the card to connect;
   * undefined if it does not. `route`, when the caller read it from the registry in the statement
   * that claimed the work, spares a provider that routes by MNO reading it again.
   */
  linkFor(cin: string, waitMs: number, route?: CardRoute): Promise<CardLink | undefined>;
}
