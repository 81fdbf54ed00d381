import { fromHex } from '../src/lib/bytes.js';
import { AESCMACContext, computeAESCMAC, createDeterministicRandomSource } from '../src/lib/crypto/index.js';
import { SCP03HostSession, type SCP03SecurityLevel } from '../src/lib/scp03/index.js';
import { createMemoryCard, ISD_AID, newCardState } from '../src/card/client.js';
import { compare, measure, type Benchmark } from './harness.js';

const KEY = fromHex('404142434445464748494A4B4C4D4E4F');
/** GET DATA (card data), a command every management session sends, as the unit of work. */
const GET_CARD_DATA = fromHex('80CA006600');

/**
 * SCP03-wrapped APDUs per second through the virtual card, host and card both in process: the
 * host computes the C-MAC, the card verifies it, answers, and (at level 33) encrypts and MACs the
 * response, which the host verifies and decrypts. The baseline is one-shot AES-CMAC computations
 * (fresh key schedule each) of a short message per second; a wrapped APDU costs at least two CMACs
 * (host and card). Sessions keep their CMAC key schedules (AESCMACContext), so the ratio against
 * a kept-schedule CMAC is printed too: it shows the protocol and card overhead alone.
 */
export const scp03Benchmark: Benchmark = {
  name: 'scp03-apdu',
  description: 'SCP03-wrapped GET DATA round trips per second on the virtual card vs raw AES-CMAC per second',
  async run() {
    const random = createDeterministicRandomSource(new TextEncoder().encode('bench'));
    const card = createMemoryCard(newCardState({ profile: 'uicc', random }), { firmware: new Map(), random });
    card.powerOn();
    card.transmit(fromHex(`00A4040008${ISD_AID}`));
    const cmac = await measure('AES-128 CMAC of 16 bytes', () => computeAESCMAC(KEY, GET_CARD_DATA.subarray(0, 5)));
    // The host session is driven synchronously (as a TSM's worker does per card), so the numbers
    // are the protocol's cost, not a promise queue's.
    const open = (level: SCP03SecurityLevel): SCP03HostSession => {
      const host = new SCP03HostSession({ keys: { keyVersion: 0x30, enc: KEY, mac: KEY, dek: KEY }, random });
      host.processInitializeUpdateResponse(card.transmit(host.initializeUpdate()));
      host.processExternalAuthenticateResponse(card.transmit(host.externalAuthenticate(level)));
      return host;
    };
    const cmacLevel = open(0x01);
    const macOnly = await measure('wrapped APDUs, C-MAC (level 01)', () => cmacLevel.unwrapResponse(card.transmit(cmacLevel.wrapCommand(GET_CARD_DATA))));
    const full = open(0x33);
    const fullLevel = await measure('wrapped APDUs, C-DEC+C-MAC+R-MAC+R-ENC (level 33)', () => full.unwrapResponse(card.transmit(full.wrapCommand(GET_CARD_DATA))));
    const context = new AESCMACContext(KEY);
    const keptKey = await measure('AES-128 CMAC of 16 bytes, key schedule kept', () => context.compute(GET_CARD_DATA.subarray(0, 5)));
    context.destroy();
    return compare('scp03-apdu', macOnly, cmac, {
      target: 0.25,
      notes: [
        `against CMAC with the key schedule kept (as the sessions do): ${Math.round(keptKey.perSecond).toLocaleString('en-US')}/s, ratio ${(macOnly.perSecond / keptKey.perSecond).toFixed(3)}`,
        `level 33: ${Math.round(fullLevel.perSecond).toLocaleString('en-US')}/s, ratio ${(fullLevel.perSecond / cmac.perSecond).toFixed(3)}`,
        'each wrapped APDU includes host wrap, card unwrap, command, card response protection and host unwrap',
      ],
    });
  },
};
