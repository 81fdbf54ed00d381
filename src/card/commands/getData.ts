import { fromHex } from '../../lib/bytes.js';
import { encodeTLV, primitiveNode } from '../../lib/tlv/index.js';
import { StatusWord } from '../../lib/status-words.js';
import { encodeCardData, encodeKeyInformationTemplate, KeyType } from '../../lib/gp/index.js';
import { securityDomainData } from '../registry.js';
import type { AuthenticatedCommand, CommandResult } from '../securityDomain.js';

/** SCP03 "i": pseudo-random card challenge (b5), R-MAC (b6) and R-ENCRYPTION (b7) supported, S8 mode. */
const SCP03_I_PARAMETER = 0x70;
/** GP 2.3 §H.2: {globalPlatform 3}, the card identification scheme of a GlobalPlatform card. */
const GLOBALPLATFORM_CARD_IDENTIFICATION_SCHEME = '1.2.840.114283.3';

/** Card recognition data is the same for every Tessera card: encoded once. */
const CARD_DATA = encodeCardData({
  gpVersion: '2.3.1',
  cardIdentificationScheme: GLOBALPLATFORM_CARD_IDENTIFICATION_SCHEME,
  secureChannelProtocols: [{ protocol: 0x03, implementation: Uint8Array.of(SCP03_I_PARAMETER) }],
});

/**
 * GET DATA (GP 2.3 §11.3): the data objects a host reads before it authenticates — CPLC, card
 * data, the key information template of the selected domain, IIN, CIN, the SCP03 sequence counter
 * and the key diversification data. Readable without a secure channel, as on real cards.
 */
export function handleGetData(context: AuthenticatedCommand): CommandResult {
  const { command, transaction, domain } = context;
  if (command.data.length !== 0 && command.ins === 0xca) return { sw: StatusWord.wrongLength };
  const tag = (command.p1 << 8) | command.p2;
  const state = transaction.read;
  const domainData = securityDomainData(state, domain.aid);
  switch (tag) {
    case 0x9f7f:
      return { data: encodeTLV([primitiveNode(0x9f7f, fromHex(state.cplcHex))]), sw: StatusWord.noError };
    case 0x0066:
      return { data: CARD_DATA.slice(), sw: StatusWord.noError };
    case 0x00e0: {
      if (domainData === undefined) return { sw: StatusWord.referencedDataNotFound };
      const keys = domainData.keysets.flatMap((keyset) => keyset.keys.map((key) => ({
        keyIdentifier: key.id,
        keyVersionNumber: keyset.version,
        components: [{ keyType: KeyType.AES, lengthBytes: key.valueHex.length / 2 }],
      })));
      return { data: encodeKeyInformationTemplate(keys), sw: StatusWord.noError };
    }
    case 0x0042:
      return { data: encodeTLV([primitiveNode(0x42, fromHex(state.iinHex))]), sw: StatusWord.noError };
    case 0x0045:
      return { data: encodeTLV([primitiveNode(0x45, fromHex(state.cinHex))]), sw: StatusWord.noError };
    case 0x00c1: {
      if (domainData === undefined) return { sw: StatusWord.referencedDataNotFound };
      const counter = domainData.sequenceCounter;
      return { data: encodeTLV([primitiveNode(0xc1, Uint8Array.of((counter >> 16) & 0xff, (counter >> 8) & 0xff, counter & 0xff))]), sw: StatusWord.noError };
    }
    case 0x00cf:
      if (domainData === undefined) return { sw: StatusWord.referencedDataNotFound };
      return { data: encodeTLV([primitiveNode(0xcf, fromHex(domainData.keyDiversificationDataHex))]), sw: StatusWord.noError };
    default:
      return { sw: StatusWord.referencedDataNotFound };
  }
}
