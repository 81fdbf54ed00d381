import { fromHex } from '../lib/bytes.js';
import { ApplicationLifeCycle, type VirtualCard } from '../card/client.js';
import type { CallerIdentity } from '../applets/crypto-se/client.js';
import { exchange, type CardAnswer } from './cryptoSEDriver.js';
import type { InstalledApplication } from './types.js';

/**
 * The App SE as the device sees it: the payment applications of many SPs, each installed by the
 * TSM after the card verified its DAP. It holds no key, credential or authentication data, and it
 * has no command that reaches the Crypto SE's keys: what an App SE application may ask of the
 * Crypto SE, it asks through the device's relay, which presents the caller as the App SE's runtime
 * knows it (AID + the TSM key that signed it); the Crypto SE's ACL decides.
 */
export class AppSE {
  readonly #card: VirtualCard;
  readonly #recorded: () => readonly InstalledApplication[];

  constructor(card: VirtualCard, recorded: () => readonly InstalledApplication[]) {
    this.#card = card;
    this.#recorded = recorded;
  }

  /** The card's registry: AIDs of the selectable applications on it (no secrets). */
  selectableApplications(): string[] {
    return this.#card.state.registry
      .filter((entry) => entry.kind === 'application' && (entry.lifeCycle & ApplicationLifeCycle.selectable) === ApplicationLifeCycle.selectable
        && (entry.lifeCycle & ApplicationLifeCycle.lockedBit) === 0)
      .map((entry) => entry.aid);
  }

  /** The TSM-installed applications actually on the card. */
  installedApplications(): InstalledApplication[] {
    const onCard = new Set(this.selectableApplications());
    return this.#recorded().filter((application) => onCard.has(application.instanceAid));
  }

  /** The caller template the App SE's runtime gives for one of its applications, or undefined. */
  callerFor(instanceAid: string): CallerIdentity | undefined {
    const application = this.installedApplications().find((candidate) => candidate.instanceAid === instanceAid.toUpperCase());
    return application === undefined ? undefined : { aid: fromHex(application.instanceAid), keyId: fromHex(application.signingKeyId) };
  }

  /** One APDU to the App SE itself (powered on first if needed). */
  transmit(apdu: Uint8Array): CardAnswer {
    this.#card.powerOn();
    return exchange(this.#card, apdu);
  }

  get card(): VirtualCard {
    return this.#card;
  }
}
