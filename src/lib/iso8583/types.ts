/**
 * Types of the ISO 8583 codec: field specs and dialects (data, not code) and the message.
 */

/**
 * Data element formats of ISO 8583:1987 §4.1 that the codec knows:
 * - `n`   numeric digits 0-9;
 * - `z`   track 2 code set (ISO/IEC 7813): digits and the field separator ('=', or 'D' as in EMV tag 57);
 * - `a`   alphabetic, with space as the fill character of fixed fields;
 * - `an`  alphanumeric, with space as the fill character of fixed fields;
 * - `ans` printable ASCII (0x20-0x7E);
 * - `b`   binary: the value is bytes.
 */
export type ISO8583Format = 'n' | 'z' | 'a' | 'an' | 'ans' | 'b';

/** Fixed length, or a variable length stated by a two- or three-digit prefix. */
export type ISO8583LengthType = 'fixed' | 'LLVAR' | 'LLLVAR';

/**
 * What a field's value must additionally be, beyond its format:
 * - `tlv`    BER-TLV data objects (field 55, ICC system related data; EMV 4.4 Book 3 Annex B);
 * - `track2` track 2 structure: PAN, separator, expiry YYMM, service code, discretionary data.
 */
export type ISO8583FieldContent = 'tlv' | 'track2';

export interface ISO8583FieldSpec {
  /** The data element's name in ISO 8583:1987 §4.4. */
  readonly name: string;
  readonly format: ISO8583Format;
  readonly lengthType: ISO8583LengthType;
  /**
   * Exact length of a fixed field, largest length of a variable one: in digits for `n` and `z`,
   * characters for `a`, `an` and `ans`, bytes for `b` (ISO 8583 counts `b` in bits: b 64 is 8 bytes).
   */
  readonly length: number;
  readonly content?: ISO8583FieldContent;
}

/** Field specs by data element number, 2 to 128. */
export type ISO8583FieldTable = Readonly<Partial<Record<number, ISO8583FieldSpec>>>;

/**
 * How one network writes the message on the wire. Text fields (`a`, `an`, `ans`) are ASCII in
 * every dialect; what changes is how numbers, lengths, bitmaps and bytes are written.
 */
export interface ISO8583Dialect {
  /** Short name, as the CLI's `--dialect` takes it. */
  readonly name: string;
  readonly description: string;
  /** The MTI as four ASCII digits, or as two BCD bytes. */
  readonly mti: 'ascii' | 'bcd';
  /** Each bitmap as 16 ASCII hex digits, or as 8 bytes. */
  readonly bitmap: 'hex' | 'binary';
  /** LL / LLL prefixes as 2 / 3 ASCII digits, or as 1 / 2 BCD bytes. */
  readonly lengthPrefix: 'ascii' | 'bcd';
  /**
   * `n` and `z` values as ASCII digits, or BCD-packed two digits a byte. In BCD an odd number of
   * `n` digits is padded on the left with a 0 nibble; `z` (track 2) with a trailing F nibble, and
   * its separator is the nibble D.
   */
  readonly numeric: 'ascii' | 'bcd';
  /** `b` values as two upper-case ASCII hex digits a byte, or as the bytes themselves. */
  readonly binary: 'hex' | 'raw';
  readonly fields: ISO8583FieldTable;
}

/** A value is text for every format but `b`, whose value is bytes. */
export type ISO8583FieldValue = string | Uint8Array;

export interface ISO8583Message {
  /** Message type indicator: four digits, version (0 for ISO 8583:1987), class, function, origin. */
  readonly mti: string;
  /**
   * Data elements by number (2-128). Field 1 (the secondary bitmap) is never here: the encoder
   * writes it when a field 65-128 is present. The decoder returns fields in ascending order.
   */
  readonly fields: ReadonlyMap<number, ISO8583FieldValue>;
}
