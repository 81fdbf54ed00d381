import { InstallP1 } from './constants.js';
import { requireByte } from './fields.js';
import { gpParameters } from './gpError.js';
import { decodeInstallForExtradition, encodeInstallForExtradition } from './installForExtradition.js';
import type { InstallForExtradition } from './installForExtradition.js';
import { decodeInstallForInstall, encodeInstallForInstall } from './installForInstall.js';
import type { InstallForInstall } from './installForInstall.js';
import { decodeInstallForLoad, encodeInstallForLoad } from './installForLoad.js';
import type { InstallForLoad } from './installForLoad.js';
import { decodeInstallForMakeSelectable, encodeInstallForMakeSelectable } from './installForMakeSelectable.js';
import type { InstallForMakeSelectable } from './installForMakeSelectable.js';
import { decodeInstallForPersonalization, encodeInstallForPersonalization } from './installForPersonalization.js';
import type { InstallForPersonalization } from './installForPersonalization.js';
import { decodeInstallForRegistryUpdate, encodeInstallForRegistryUpdate } from './installForRegistryUpdate.js';
import type { InstallForRegistryUpdate } from './installForRegistryUpdate.js';

/**
 * INSTALL (GP 2.3 §11.5) by P1: one data format per variant. The card decodes with the P1 it
 * received; the host encodes and gets the P1 to send. P1 b8 ("more INSTALL commands follow") is
 * the caller's to add and is ignored when decoding.
 */
export type InstallCommandData =
  | InstallForLoad
  | InstallForInstall
  | InstallForMakeSelectable
  | InstallForExtradition
  | InstallForRegistryUpdate
  | InstallForPersonalization;

export interface EncodedInstallCommand {
  readonly p1: number;
  readonly data: Uint8Array;
}

export function encodeInstallCommand(command: InstallCommandData): EncodedInstallCommand {
  switch (command.kind) {
    case 'load':
      return { p1: InstallP1.forLoad, data: encodeInstallForLoad(command) };
    case 'install':
      return {
        p1: command.makeSelectable ? InstallP1.forInstallAndMakeSelectable : InstallP1.forInstall,
        data: encodeInstallForInstall(command),
      };
    case 'make-selectable':
      return { p1: InstallP1.forMakeSelectable, data: encodeInstallForMakeSelectable(command) };
    case 'extradition':
      return { p1: InstallP1.forExtradition, data: encodeInstallForExtradition(command) };
    case 'registry-update':
      return { p1: InstallP1.forRegistryUpdate, data: encodeInstallForRegistryUpdate(command) };
    case 'personalization':
      return { p1: InstallP1.forPersonalization, data: encodeInstallForPersonalization(command) };
  }
}

/** Decodes an INSTALL data field for the variant P1 names; an unknown P1 is ERR_GP_PARAMETERS (6A86). */
export function decodeInstallCommand(p1: number, data: Uint8Array): InstallCommandData {
  const variant = requireByte(p1, 'INSTALL P1') & ~InstallP1.moreCommands;
  switch (variant) {
    case InstallP1.forLoad:
      return decodeInstallForLoad(data);
    case InstallP1.forInstall:
      return decodeInstallForInstall(data, false);
    case InstallP1.forInstallAndMakeSelectable:
      return decodeInstallForInstall(data, true);
    case InstallP1.forMakeSelectable:
      return decodeInstallForMakeSelectable(data);
    case InstallP1.forExtradition:
      return decodeInstallForExtradition(data);
    case InstallP1.forRegistryUpdate:
      return decodeInstallForRegistryUpdate(data);
    case InstallP1.forPersonalization:
      return decodeInstallForPersonalization(data);
    default:
      throw gpParameters(`INSTALL P1 0x${variant.toString(16).toUpperCase().padStart(2, '0')} is not a supported combination`);
  }
}
