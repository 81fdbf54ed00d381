/**
 * Published types of the virtual GlobalPlatform card: what other parts of Tessera (TSM, device,
 * POS, CLI) may rely on. Internals stay behind src/card/client.ts.
 */

/**
 * A smart card as a reader sees it: power, reset, the answer to reset, and one APDU exchange at a
 * time. Same contract as a contact card in a PC/SC reader (ISO/IEC 7816-3 power and reset,
 * ISO/IEC 7816-4 T=1 command/response), so a virtual card and a real one are interchangeable.
 */
export interface SmartCard {
  /** Powers the card (cold reset) and returns its ATR. */
  powerOn(): Uint8Array;
  /** Removes power: the card closes logical channels and secure channels; persistent state stays. */
  powerOff(): void;
  /** Warm reset: like power off + on, returning the ATR. */
  reset(): Uint8Array;
  /** The ATR the card answers a reset with. */
  readonly atr: Uint8Array;
  /**
   * One command APDU in, one response APDU (data + SW1 SW2) out. A card never throws for bad input:
   * it answers with the status word a real card would. Calling it while powered off answers 6F00.
   */
  transmit(command: Uint8Array): Uint8Array;
}

/** A command as an applet receives it: already unwrapped from any secure messaging. */
export interface AppletCommand {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  readonly data: Uint8Array;
  /** Expected response length Ne (256 for a short Le of 00), or undefined when the command has no Le. */
  readonly le: number | undefined;
  /** Logical channel the command arrived on (ISO/IEC 7816-4 §5.4.1). */
  readonly channel: number;
}

export interface AppletResponse {
  readonly data?: Uint8Array;
  /** Status word, e.g. 0x9000. */
  readonly sw: number;
}

/**
 * What the card gives an applet while it runs. Writes to `store` are transactional: they are
 * committed with the command when the applet answers a success status word (9000, 61xx, 62xx,
 * 63xx) and discarded when it answers an error or throws, as GlobalPlatform's atomicity requires.
 */
export interface AppletContext {
  readonly aid: Uint8Array;
  /** Application-specific install parameters (the contents of tag C9 at INSTALL [for install]). */
  readonly installParameters: Uint8Array;
  readonly store: AppletStoreAccess;
  /** Cryptographically secure random bytes from the card's generator. */
  randomBytes(length: number): Uint8Array;
  /** Milliseconds since the epoch from the card's clock (injected; tests pin it). */
  now(): number;
}

/** An applet's persistent key-value store: short names to byte strings. */
export interface AppletStoreAccess {
  get(name: string): Uint8Array | undefined;
  set(name: string, value: Uint8Array): void;
  delete(name: string): void;
}

/**
 * A card applet. Tessera cannot run Java Card bytecode, so the card's "firmware" knows a fixed
 * set of applet classes written in TypeScript; a load file names the class of each module
 * (docs/load-file-format.md). Instances keep no state of their own between commands: all of it
 * lives in `context.store`, which the card persists.
 */
export interface Applet {
  /** Called when the applet is selected; answer false to refuse (the card answers 6999). */
  select?(context: AppletContext): boolean;
  deselect?(context: AppletContext): void;
  /** Answers one command. The SELECT that selected the applet is passed here too (as on Java Card). */
  process(command: AppletCommand, context: AppletContext): AppletResponse;
  /**
   * Personalization data that reached the applet through its security domain (STORE DATA after
   * INSTALL [for personalization], GP 2.3 §11.11), already unwrapped from the secure channel.
   * Answer a status word: 9000 to accept.
   */
  personalize?(data: Uint8Array, context: AppletContext): number;
}

/** Makes applet instances of one firmware class (a load-file module names the class). */
export type AppletFactory = () => Applet;

/** The firmware's applet classes by name. The composition root (CLI) supplies it to the card. */
export type AppletFirmware = ReadonlyMap<string, AppletFactory>;
