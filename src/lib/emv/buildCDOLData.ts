import { buildDOLData, decodeDOL, type DOLDataFormat, type DOLEntry } from '../tlv/index.js';

/** Values of data elements by tag, e.g. from ISO 8583 field 55 or the terminal's own data. */
export type TagValues = ReadonlyMap<number, Uint8Array>;

/**
 * Formats of the terminal data elements CDOLs commonly ask for (EMV 4.4 Book 3 Annex A). The format
 * decides how a value that does not fit its DOL entry is fitted (Book 3 §5.4); any tag not listed
 * here is treated as binary.
 */
const TERMINAL_DATA_FORMATS: ReadonlyMap<number, DOLDataFormat> = new Map<number, DOLDataFormat>([
  [0x9f02, 'n'], // Amount, Authorised (Numeric), n 12
  [0x9f03, 'n'], // Amount, Other (Numeric), n 12
  [0x9f1a, 'n'], // Terminal Country Code, n 3
  [0x5f2a, 'n'], // Transaction Currency Code, n 3
  [0x9a, 'n'], // Transaction Date, n 6 (YYMMDD)
  [0x9c, 'n'], // Transaction Type, n 2
  [0x9f21, 'n'], // Transaction Time, n 6
  [0x9f35, 'n'], // Terminal Type, n 2
  [0x9f15, 'n'], // Merchant Category Code, n 4
  [0x8a, 'an'], // Authorisation Response Code, an 2 (CDOL2)
  [0x9f1c, 'an'], // Terminal Identification, an 8
  [0x9f16, 'ans'], // Merchant Identifier, ans 15
  [0x9f4e, 'ans'], // Merchant Name and Location, ans
]);

/**
 * The command data a terminal sends in GENERATE AC for a CDOL1 or CDOL2 (tag 8C or 8D): each listed
 * element's value, fitted to its length, concatenated without tags or lengths (EMV 4.4 Book 3 §5.4).
 * An element missing from `values` is sent as zeros, as a terminal does for data it does not have,
 * so the issuer rebuilds exactly what the card MACed. `cdol` is the raw DOL or its decoded entries.
 */
export function buildCDOLData(cdol: Uint8Array | readonly DOLEntry[], values: TagValues): Uint8Array {
  const entries = cdol instanceof Uint8Array ? decodeDOL(cdol) : cdol;
  return buildDOLData(entries, (tag) => {
    const value = values.get(tag);
    return value === undefined ? undefined : { value, format: TERMINAL_DATA_FORMATS.get(tag) ?? 'b' };
  });
}
