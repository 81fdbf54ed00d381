/**
 * Sizes fixed by GlobalPlatform Card Specification v2.3 Amendment D (Secure Channel Protocol '03')
 * and the bounds Tessera puts on them, in one place (TIGER_STYLE: a limit on everything, unit last).
 */

/** The SCP identifier returned in the key information of INITIALIZE UPDATE. */
export const SCP03_IDENTIFIER = 0x03;

/** S8 mode: 8-byte challenges, cryptograms and MACs. */
export const SCP03_CHALLENGE_BYTES_S8 = 8;
/** S16 mode: 16-byte challenges, cryptograms and MACs. */
export const SCP03_CHALLENGE_BYTES_S16 = 16;

/** Key diversification data: the first 10 bytes of the INITIALIZE UPDATE response. */
export const SCP03_KEY_DIVERSIFICATION_DATA_BYTES = 10;
/** Key information: key version number, SCP identifier '03', parameter i. */
export const SCP03_KEY_INFORMATION_BYTES = 3;
/** The sequence counter appended to the INITIALIZE UPDATE response in pseudo-random mode. */
export const SCP03_SEQUENCE_COUNTER_BYTES = 3;
/** Largest sequence counter value (3 bytes). Past it a card generates no pseudo-random challenge. */
export const SCP03_SEQUENCE_COUNTER_MAX = 0xff_ff_ff;

/** The MAC chaining value is one AES block; it starts as 16 bytes '00' (Amendment D §6.2.4). */
export const SCP03_MAC_CHAINING_VALUE_BYTES = 16;
/** The encryption counter is one AES block (Amendment D §6.2.6). */
export const SCP03_ENCRYPTION_COUNTER_BYTES = 16;
/**
 * Commands one session may protect. The specification's counter is 16 bytes; we keep it in a safe
 * integer and end the session long before it could wrap, so a counter value (and thus an ICV) is
 * never reused.
 */
export const SCP03_COMMANDS_PER_SESSION_MAX = Number.MAX_SAFE_INTEGER - 1;

/** Key version numbers are one byte; '00' in INITIALIZE UPDATE P1 means "the first available keyset". */
export const SCP03_KEY_VERSION_MAX = 0xff;
/** Keysets one Security Domain may offer to INITIALIZE UPDATE. */
export const SCP03_KEYSETS_MAX = 16;

/** Security Domain AIDs (ISO/IEC 7816-5): 5 to 16 bytes. Used as context for pseudo-random challenges. */
export const SCP03_AID_BYTES_MIN = 5;
export const SCP03_AID_BYTES_MAX = 16;

/** Key check value of an AES key: the leftmost 3 bytes (GP Card Specification 2.3, key check value annex). */
export const SCP03_KEY_CHECK_VALUE_BYTES = 3;

/** Logical channels of GP 2.3 / ISO/IEC 7816-4: 0-3 in the first interindustry coding, 4-19 in the further one. */
export const SCP03_LOGICAL_CHANNEL_MAX = 19;
