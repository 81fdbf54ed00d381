/**
 * Tags of the expanded remote APDU format: ETSI TS 102 226 §5.2 (structure), ETSI TS 101 220
 * §7.2 tables 7.18-7.20 (tag values), ETSI TS 102 223 §8.35/§8.36 (C-APDU and R-APDU objects,
 * used here with the comprehension-required bit clear, hence '22' and '23').
 */
export const RAMTag = {
  /** Command Scripting template, definite length coding. */
  commandScriptDefinite: 0xaa,
  /** Command Scripting template, indefinite length coding: 'AE 80' … '00 00'. */
  commandScriptIndefinite: 0xae,
  /** Response Scripting template, definite length coding. */
  responseScriptDefinite: 0xab,
  /** Response Scripting template, indefinite length coding: 'AF 80' … '00 00'. */
  responseScriptIndefinite: 0xaf,
  /** C-APDU TLV inside a command script (TS 102 226 §5.2.1.1). */
  commandAPDU: 0x22,
  /** R-APDU TLV inside a response script (TS 102 226 §5.2.2). */
  responseAPDU: 0x23,
  /** Number of executed command TLV objects, first in a definite response script (table 5.11). */
  executedCount: 0x80,
  /** Immediate Action TLV in a command script (§5.2.1.2); Immediate Action Response in a response script (table 5.14). */
  immediateAction: 0x81,
  /** Error Action TLV in a command script (§5.2.1.3). */
  errorAction: 0x82,
  /** Script Chaining TLV in a command script (§5.2.1.4); Script Chaining Response in a response script (table 5.16). */
  scriptChaining: 0x83,
  /** Bad format TLV in a response script (table 5.12). */
  badFormat: 0x90,
} as const;

/** ISO/IEC 8825-1 §8.1.3.6: a length byte '80' announces indefinite length; '00 00' ends the contents. */
export const INDEFINITE_LENGTH_BYTE = 0x80;

/**
 * Values of the Bad format TLV ('90', TS 102 226 table 5.12): why the receiver could not parse
 * the command script. It answers with this instead of executing anything after the fault.
 */
export const BadFormat = {
  unknownTag: 0x01,
  wrongLength: 0x02,
  lengthNotFound: 0x03,
} as const;
export type BadFormat = (typeof BadFormat)[keyof typeof BadFormat];

const BAD_FORMAT_NAMES: Readonly<Record<number, string>> = {
  [BadFormat.unknownTag]: 'unknown tag',
  [BadFormat.wrongLength]: 'wrong length',
  [BadFormat.lengthNotFound]: 'length not found',
};

/** `describeBadFormat(2) === 'wrong length'`; an undefined value is named by its hex. */
export function describeBadFormat(value: number): string {
  return BAD_FORMAT_NAMES[value] ?? `undefined bad format value ${value.toString(16).toUpperCase().padStart(2, '0')}`;
}
