import type { LengthCoding } from './readScriptTemplate.js';

/** What a card (its admin agent) answers a command script with (ETSI TS 102 226 §5.2.2). */
export interface ResponseScript {
  /**
   * "Number of executed command TLV objects" (table 5.11). The indefinite coding has no such
   * object (table 5.10a); there the decoder reports the number of R-APDUs.
   */
  readonly executedCount: number;
  /** One R-APDU (response data, SW1 SW2) per executed C-APDU, in order. */
  readonly responses: readonly Uint8Array[];
  /** Bad format TLV value (table 5.12, see BadFormat): the command script could not be parsed. */
  readonly badFormat?: number;
  /** Immediate Action Response value (table 5.14); '01' is a suspension error. */
  readonly immediateActionResponse?: number;
  /** Script Chaining Response value (table 5.16): '01' no previous script, '02' not supported, '03' unable to process. */
  readonly scriptChainingResponse?: number;
}

export interface DecodedResponseScript extends ResponseScript {
  readonly lengthCoding: LengthCoding;
}
