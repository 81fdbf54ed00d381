/**
 * Bounds on every GlobalPlatform data field parsed or built here (TIGER_STYLE: a limit on
 * everything, unit last). Sizes fixed by a specification say so; the rest are Tessera's choices,
 * set well above what real cards and the virtual card use.
 */

/** ISO/IEC 7816-5 §5.2: an AID is a 5-byte RID and a PIX of up to 11 bytes. */
export const AID_BYTES_MIN = 5;
export const AID_BYTES_MAX = 16;

/** A GET STATUS AID search qualifier may be empty (all entries) or any prefix of an AID (GP 2.3 §11.4.2.2). */
export const AID_SEARCH_QUALIFIER_BYTES_MAX = AID_BYTES_MAX;

/** Privileges are one byte (GP 2.1.1 legacy) or three bytes (GP 2.3 §11.1.2). */
export const PRIVILEGES_BYTES_LEGACY = 1;
export const PRIVILEGES_BYTES = 3;

/** Largest hash a Load File Data Block Hash field may carry (SHA-512, GP 2.3 §C.2). */
export const LOAD_FILE_DATA_BLOCK_HASH_BYTES_MAX = 64;

/**
 * Largest parameters or token field in an INSTALL command. Their length fields take 1 to 3 bytes
 * (BER: '00'-'7F', '81 xx', '82 xx xx'), so the format allows up to 65 535; a command data field
 * cannot exceed 65 535 bytes anyway (ISO/IEC 7816-4 extended Lc).
 */
export const INSTALL_FIELD_BYTES_MAX = 65_535;

/** LOAD numbers its blocks in P2, '00' to 'FF' (GP 2.3 §11.6.2.2): at most 256 blocks. */
export const LOAD_BLOCKS_MAX = 256;
/** Largest LOAD data field: an extended APDU's Nc (ISO/IEC 7816-4 §5.1). */
export const LOAD_BLOCK_BYTES_MAX = 65_535;
/**
 * Largest LOAD sequence (DAP blocks and the Load File Data Block together) a card accepts.
 * Tessera load files are a few hundred bytes; 256 KiB leaves room for real CAP files in tests.
 */
export const LOAD_BYTES_MAX = 256 * 1024;
/** DAP blocks in one LOAD sequence: one per SD that verifies a DAP; real cards see 1 or 2. */
export const DAP_BLOCKS_MAX = 8;
/** A DAP signature: up to RSA-4096 (512 bytes). */
export const DAP_SIGNATURE_BYTES_MAX = 512;
/**
 * Bytes a LOAD sequence carries besides the Load File Data Block: each DAP block's tags, lengths
 * and AID (at most 32 bytes) around its signature, and the 'C4' tag and length (at most 8).
 */
export const LOAD_HEADER_BYTES_MAX = DAP_BLOCKS_MAX * (DAP_SIGNATURE_BYTES_MAX + 32) + 8;

/** Entries in one GET STATUS response or one concatenation of responses. */
export const REGISTRY_ENTRIES_MAX = 1024;
/** Executable Module AIDs listed for one Executable Load File. */
export const EXECUTABLE_MODULES_MAX = 255;
/** Implicit selection parameters ('CF') listed for one entry: one per interface and channel. */
export const IMPLICIT_SELECTION_PARAMETERS_MAX = 32;
/** Largest GET STATUS response data field: a short Le ('00') asks for 256 bytes. */
export const GET_STATUS_RESPONSE_BYTES_MAX = 256;

/** Keys in one PUT KEY command (GP 2.3 §11.8: a key set is usually three keys, ENC/MAC/DEK). */
export const PUT_KEY_KEYS_MAX = 16;
/** Largest key check value (GP 2.3 §11.8.2.3: 3 bytes for DES and AES, 0 when absent). */
export const KEY_CHECK_VALUE_BYTES_MAX = 32;
/** Keys listed in a Key Information Template. */
export const KEY_INFORMATION_ENTRIES_MAX = 255;
/** Key components listed for one key (an RSA public key has two). */
export const KEY_COMPONENTS_MAX = 16;

/** CPLC is 42 bytes (GP 2.3 Annex H). */
export const CPLC_BYTES = 42;

/** Secure channel protocols listed in Card Recognition Data. */
export const SECURE_CHANNEL_PROTOCOLS_MAX = 16;
/** Arcs in an object identifier we decode. */
export const OBJECT_IDENTIFIER_ARCS_MAX = 32;
