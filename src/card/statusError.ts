/**
 * A command's answer when it fails: the ISO/IEC 7816-4 or GlobalPlatform status word a real card
 * gives. Thrown inside command handlers and turned into a response by the runtime; it never
 * leaves the card.
 */
export class StatusWordError extends Error {
  readonly sw: number;

  constructor(sw: number, reason: string) {
    super(reason);
    this.name = 'StatusWordError';
    this.sw = sw;
  }
}

export function fail(sw: number, reason: string): never {
  throw new StatusWordError(sw, reason);
}

/**
 * Success and warning status words commit a command's writes; errors discard them. '91XX' is a
 * normal ending too (ETSI TS 102 221 §10.2.1.1: done, and a proactive command of XX bytes waits
 * for FETCH), so what the applet stored for that FETCH is kept.
 */
export function commitsWrites(sw: number): boolean {
  const sw1 = sw >> 8;
  return sw === 0x9000 || sw1 === 0x61 || sw1 === 0x62 || sw1 === 0x63 || sw1 === 0x91;
}
