/**
 * Whether a script goes on after a command answered `sw`. A remote script stops at the first
 * command that fails (ETSI TS 102 226 §5.1.1 and §5.2.1, absent an Error Action object);
 * Tessera counts as success what ISO/IEC 7816-4 §5.6 calls normal processing or a warning:
 * 9000, 61xx, 62xx and 63xx (src/tsm/types.ts, CardLink).
 */
export function statusWordContinuesScript(sw: number): boolean {
  const sw1 = sw >> 8;
  return sw === 0x9000 || sw1 === 0x61 || sw1 === 0x62 || sw1 === 0x63;
}

/**
 * TS 102 226 §5.2.1.1: a card that has to cut a response short to fit the response script
 * answers SW '62F1' for it and stops processing the script.
 */
export const RAM_TRUNCATED_STATUS_WORD = 0x62f1;

/** The status word a response APDU ends with (its last two bytes; a shorter answer reads as 0, a failure). */
export function trailingStatusWord(response: Uint8Array): number {
  return ((response[response.length - 2] ?? 0) << 8) | (response[response.length - 1] ?? 0);
}

/** Whether a script goes on after this response APDU (`statusWordContinuesScript` of its status word). */
export function responseContinuesScript(response: Uint8Array): boolean {
  return statusWordContinuesScript(trailingStatusWord(response));
}
