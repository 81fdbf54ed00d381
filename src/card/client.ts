/**
 * The card domain's public surface: what the CLI, the TSM, the device and tests use. Everything
 * else in src/card is internal.
 */
import { existsSync } from 'node:fs';
import { createSystemRandomSource, type RandomSource } from '../lib/crypto/index.js';
import { TesseraError } from '../lib/errors.js';
import { VirtualCard } from './card.js';
import { CardErrorCode } from './errors.js';
import { encodeCardImage, readCardImageFile, writeFileAtomic } from './image.js';
import type { CardState } from './model.js';
import { newCardState, type NewCardOptions } from './profiles.js';
import type { AppletFirmware } from './types.js';

export { VirtualCard, COMMAND_DATA_BYTES_MAX, LOGICAL_CHANNELS_MAX } from './card.js';
export { CardErrorCode } from './errors.js';
export { CARD_IMAGE_FORMAT, DEVICE_KEY_BYTES, decodeCardImage, encodeCardImage } from './image.js';
export type { CardState, RegistryEntry as CardRegistryEntry, ExecutableLoadFile, SecurityDomainData, StoredKeyset } from './model.js';
export { ApplicationLifeCycle, CardLifeCycle } from './model.js';
export {
  CENTRAL_SD_AID, CONTROLLING_AUTHORITY_SD_AID, DEFAULT_TEST_KEY_HEX, INITIAL_KEY_VERSION, ISD_AID, MANDATED_DAP_SD_AID, MNO_SD_AID,
  PAYMENT_FIRMWARE_CLASS, PAYMENT_MODULE_AID, SECURITY_DOMAIN_FIRMWARE_CLASS, SECURITY_DOMAIN_MODULE_AID, SECURITY_DOMAIN_PACKAGE_AID, PAYMENT_PACKAGE_AID, PPSE_FIRMWARE_CLASS, PPSE_MODULE_AID, PROFILE_NAMES,
  SP_SD_DELEGATED_PRIVILEGES, SP_SD_PRIVILEGES, TESSERA_RID, THIRD_PARTY_SD_AID, isProfileName, newCardState,
} from './profiles.js';
export type { NewCardOptions, ProfileName } from './profiles.js';
export { connectToVpcd, parseVpcdAddress } from './vpcd/index.js';
export type * from './types.js';

export interface CardRuntimeOptions {
  /** Applet classes the card's firmware knows. */
  readonly firmware: AppletFirmware;
  readonly random?: RandomSource;
  readonly now?: () => number;
  readonly onInternalError?: (error: unknown) => void;
}

/** A card that lives only in memory (tests, benchmarks, in-process devices). */
export function createMemoryCard(state: CardState, options: CardRuntimeOptions): VirtualCard {
  return new VirtualCard(state, {
    firmware: options.firmware,
    random: options.random ?? createSystemRandomSource(),
    now: options.now ?? Date.now,
    ...(options.onInternalError === undefined ? {} : { onInternalError: options.onInternalError }),
  });
}

/**
 * A card whose state lives in an image file: every committed command rewrites the image
 * atomically before the card answers, so a crash never loses a committed write.
 */
export function openCardImage(path: string, deviceKey: Uint8Array, options: CardRuntimeOptions): VirtualCard {
  const random = options.random ?? createSystemRandomSource();
  const state = readCardImageFile(path, deviceKey);
  return new VirtualCard(state, {
    firmware: options.firmware,
    random,
    now: options.now ?? Date.now,
    persist: (next) => writeFileAtomic(path, encodeCardImage(next, deviceKey, random)),
    ...(options.onInternalError === undefined ? {} : { onInternalError: options.onInternalError }),
  });
}

/** Manufactures a card of a profile and writes its image; refuses to overwrite an existing file. */
export function createCardImage(path: string, deviceKey: Uint8Array, options: Omit<NewCardOptions, 'random'> & { readonly random?: RandomSource }): CardState {
  if (existsSync(path)) throw new TesseraError(CardErrorCode.imageInvalid, `${path} exists; a card image is never overwritten`);
  const random = options.random ?? createSystemRandomSource();
  const state = newCardState({ ...options, random });
  writeFileAtomic(path, encodeCardImage(state, deviceKey, random));
  return state;
}

export { readCardImageFile } from './image.js';
