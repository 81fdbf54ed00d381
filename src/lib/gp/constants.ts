/**
 * GlobalPlatform Card Specification v2.3.1 (GPC_SPE_034) constants: command codes, parameter
 * bytes, life cycle codings, key types and the tags of the data formats in this folder. Values are
 * written as the specification tables write them; each group names its table.
 */

/** CLA of GlobalPlatform commands without secure messaging (GP 2.3 §11.1.4); '84' with it. */
export const GP_CLA = 0x80;
export const GP_CLA_SECURE_MESSAGING = 0x84;

/** INS codes of the commands of GP 2.3 §11 and Amendment D (SCP03). */
export const GPInstruction = {
  delete: 0xe4,
  externalAuthenticate: 0x82,
  getData: 0xca,
  getDataOdd: 0xcb,
  getResponse: 0xc0,
  getStatus: 0xf2,
  initializeUpdate: 0x50,
  install: 0xe6,
  internalAuthenticate: 0x88,
  load: 0xe8,
  manageChannel: 0x70,
  performSecurityOperation: 0x2a,
  putKey: 0xd8,
  select: 0xa4,
  setStatus: 0xf0,
  storeData: 0xe2,
  beginRMACSession: 0x7a,
  endRMACSession: 0x78,
} as const;

// --- Life cycle states (GP 2.3 §5, codings in §11.1.1) ---------------------------------------------

/** Card life cycle (§5.1, §11.1.1). */
export const CardLifeCycleState = {
  OP_READY: 0x01,
  INITIALIZED: 0x07,
  SECURED: 0x0f,
  CARD_LOCKED: 0x7f,
  TERMINATED: 0xff,
} as const;

/** Executable Load File life cycle (§5.2, §11.1.1): an ELF has one state. */
export const ExecutableLoadFileLifeCycleState = { LOADED: 0x01 } as const;

/**
 * Application life cycle (§5.3, §11.1.1): INSTALLED '03', SELECTABLE '07'; '0xxxx111' with any of b7-b4
 * set is an application-specific state; b8 set on top of the previous state ('1xxxxx11') is LOCKED.
 */
export const ApplicationLifeCycleState = {
  INSTALLED: 0x03,
  SELECTABLE: 0x07,
  /** Bits b7-b4 of a SELECTABLE application, free for the application's own states. */
  APPLICATION_SPECIFIC_MASK: 0x78,
  LOCKED_BIT: 0x80,
} as const;

/** Security Domain life cycle (§5.3.2, §11.1.1): LOCKED is b8 set on the state the SD was in ('83' from INSTALLED). */
export const SecurityDomainLifeCycleState = {
  INSTALLED: 0x03,
  SELECTABLE: 0x07,
  PERSONALIZED: 0x0f,
  LOCKED: 0x83,
  LOCKED_BIT: 0x80,
} as const;

// --- INSTALL (§11.5.2.1) -------------------------------------------------------------------------

/** INSTALL P1 values; b8 ('80') flags that more INSTALL commands follow. */
export const InstallP1 = {
  forLoad: 0x02,
  forInstall: 0x04,
  forMakeSelectable: 0x08,
  forInstallAndMakeSelectable: 0x0c,
  forExtradition: 0x10,
  forPersonalization: 0x20,
  forRegistryUpdate: 0x40,
  moreCommands: 0x80,
} as const;

// --- LOAD (§11.6.2.1) ------------------------------------------------------------------------------

/** LOAD P1: b8 set on the last block; P2 is the block number '00'-'FF'. */
export const LoadP1 = { moreBlocks: 0x00, lastBlock: 0x80 } as const;

// --- DELETE (§11.2.2.1) ----------------------------------------------------------------------------

/** DELETE P1: b8 set when more DELETE commands follow. */
export const DeleteP1 = { lastOrOnly: 0x00, moreCommands: 0x80 } as const;
/** DELETE P2: the object only, or the object and its related objects. */
export const DeleteP2 = { object: 0x00, objectAndRelated: 0x80 } as const;

// --- GET STATUS (§11.4.2) --------------------------------------------------------------------------

/** GET STATUS P1: which part of the GlobalPlatform Registry to report. */
export const GetStatusP1 = {
  issuerSecurityDomain: 0x80,
  applicationsAndSecurityDomains: 0x40,
  executableLoadFiles: 0x20,
  executableLoadFilesAndModules: 0x10,
} as const;

/**
 * GET STATUS P2: b2 selects the response format ('02' the tag-list format of Table 11-36, '00'
 * the deprecated legacy format); b1 asks for the next occurrence
 * after a response that ended in 6310.
 */
export const GetStatusP2 = {
  legacyFormat: 0x00,
  tagListFormat: 0x02,
  nextOccurrence: 0x01,
} as const;

// --- PUT KEY (§11.8.2.1, §11.8.2.2) ---------------------------------------------------------------

/** PUT KEY P1: b8 more commands, b7-b1 the key version number to replace ('00' adds a new key set). */
export const PutKeyP1 = { moreCommands: 0x80, keyVersionMask: 0x7f } as const;
/** PUT KEY P2: b8 multiple keys in the command, b7-b1 the (first) key identifier. */
export const PutKeyP2 = { multipleKeys: 0x80, keyIdentifierMask: 0x7f } as const;

/** Key types (§11.1.8; Amendment D for AES, Amendment B for the TLS pre-shared key). */
export const KeyType = {
  DES: 0x80,
  TRIPLE_DES_CBC: 0x82,
  DES_ECB: 0x83,
  DES_CBC: 0x84,
  TLS_PSK: 0x85,
  AES: 0x88,
  HMAC_SHA1: 0x90,
  HMAC_SHA1_160: 0x91,
  RSA_PUBLIC_EXPONENT: 0xa0,
  RSA_PUBLIC_MODULUS: 0xa1,
  RSA_PRIVATE_MODULUS: 0xa2,
  RSA_PRIVATE_EXPONENT: 0xa3,
  ECC_PUBLIC_KEY: 0xb0,
  ECC_PRIVATE_KEY: 0xb1,
  ECC_KEY_PARAMETERS_REFERENCE: 0xf0,
  /** Marks the extended format of key information and key data (§11.3.3.1, §11.8.2.3). */
  EXTENDED_FORMAT: 0xff,
} as const;

// --- GET DATA (§11.3 and Annex H) -------------------------------------------------------------------

/** Tags a GET DATA command names in P1-P2 (the response carries the same tag). */
export const GetDataTag = {
  /** Card Production Life Cycle data (Annex H): 42 bytes. */
  CPLC: 0x9f7f,
  /** Card Data: the Card Recognition Data template '73' (Annex H). */
  cardData: 0x66,
  /** Card Capability Information (Annex H.4). */
  cardCapabilityInformation: 0x67,
  /** Key Information Template (§11.3.3.1). */
  keyInformationTemplate: 0xe0,
  /** Issuer Identification Number. */
  IIN: 0x42,
  /** Card Image Number. */
  CIN: 0x45,
  /** Sequence Counter of the default Key Version Number. */
  sequenceCounter: 0xc1,
  /** Confirmation Counter. */
  confirmationCounter: 0xc2,
  /** Key Diversification Data (Amendment D: 10 bytes returned in INITIALIZE UPDATE as well). */
  keyDiversificationData: 0xcf,
  /** Current Security Level of the secure channel. */
  currentSecurityLevel: 0xd3,
  /** Extended Card Resources Information (ETSI TS 102 226 / GP 2.3.1 §11.3.3.1.2). */
  extendedCardResourcesInformation: 0xff21,
} as const;

// --- Tags of the data formats (GP 2.3 §11) -----------------------------------------------------------

export const GPTag = {
  AID: 0x4f,
  /** Tag list in GET STATUS search criteria (§11.4.2.2). */
  TAG_LIST: 0x5c,
  /** GlobalPlatform Registry related data, one per entry (Table 11-36). */
  REGISTRY_ENTRY: 0xe3,
  LIFE_CYCLE_STATE: 0x9f70,
  PRIVILEGES: 0xc5,
  IMPLICIT_SELECTION_PARAMETER: 0xcf,
  EXECUTABLE_LOAD_FILE_AID: 0xc4,
  EXECUTABLE_LOAD_FILE_VERSION: 0xce,
  EXECUTABLE_MODULE_AID: 0x84,
  ASSOCIATED_SECURITY_DOMAIN_AID: 0xcc,
  /** Install / load parameters (Tables 11-48, 11-49). */
  APPLICATION_SPECIFIC_PARAMETERS: 0xc9,
  SYSTEM_SPECIFIC_PARAMETERS: 0xef,
  NON_VOLATILE_CODE_MEMORY: 0xc6,
  VOLATILE_MEMORY: 0xc7,
  NON_VOLATILE_MEMORY: 0xc8,
  /** LOAD data field (Table 11-58). */
  DAP_BLOCK: 0xe2,
  LOAD_FILE_DATA_BLOCK_SIGNATURE: 0xc3,
  LOAD_FILE_DATA_BLOCK: 0xc4,
  CIPHERED_LOAD_FILE_DATA_BLOCK: 0xd4,
  /** DELETE data field (§11.2.2.3). */
  CONTROL_REFERENCE_TEMPLATE_DIGITAL_SIGNATURE: 0xb6,
  DELETE_TOKEN: 0x9e,
  KEY_IDENTIFIER: 0xd0,
  KEY_VERSION_NUMBER: 0xd2,
  /** Key Information Template and its entries (§11.3.3.1). */
  KEY_INFORMATION_TEMPLATE: 0xe0,
  KEY_INFORMATION_DATA: 0xc0,
  /** Card Recognition Data (Annex H). */
  CARD_RECOGNITION_DATA: 0x73,
  OBJECT_IDENTIFIER: 0x06,
  CARD_MANAGEMENT_TYPE_AND_VERSION: 0x60,
  CARD_IDENTIFICATION_SCHEME: 0x63,
  SECURE_CHANNEL_PROTOCOL: 0x64,
  CARD_CONFIGURATION_DETAILS: 0x65,
  CARD_CHIP_DETAILS: 0x66,
} as const;
