import { concatBytes } from '../bytes.js';
import { GetDataTag } from './constants.js';
import { FieldReader, requireBytes } from './fields.js';
import { gpMalformed } from './gpError.js';
import { CPLC_BYTES } from './limits.js';

/**
 * Card Production Life Cycle data (GET DATA '9F7F', GP 2.3 Annex H; the layout of GP 2.1.1): 42
 * bytes of fixed fields, as GlobalPlatformPro's `CPLC` and kaoh/globalplatform's `OPGP_CPLC` read
 * them. Each field is a big-endian number here; dates are 'YDDD' (BCD: last digit of the year,
 * day of the year), decoded by `decodeCPLCDate`.
 */
export interface CPLC {
  readonly icFabricator: number;
  readonly icType: number;
  readonly operatingSystemIdentifier: number;
  readonly operatingSystemReleaseDate: number;
  readonly operatingSystemReleaseLevel: number;
  readonly icFabricationDate: number;
  readonly icSerialNumber: number;
  readonly icBatchIdentifier: number;
  readonly icModuleFabricator: number;
  readonly icModulePackagingDate: number;
  readonly iccManufacturer: number;
  readonly icEmbeddingDate: number;
  readonly icPrePersonalizer: number;
  readonly icPrePersonalizationEquipmentDate: number;
  readonly icPrePersonalizationEquipmentIdentifier: number;
  readonly icPersonalizer: number;
  readonly icPersonalizationDate: number;
  readonly icPersonalizationEquipmentIdentifier: number;
}

/** Field order and sizes in bytes; they add up to 42. */
const CPLC_FIELDS: readonly (readonly [keyof CPLC, 2 | 4])[] = [
  ['icFabricator', 2],
  ['icType', 2],
  ['operatingSystemIdentifier', 2],
  ['operatingSystemReleaseDate', 2],
  ['operatingSystemReleaseLevel', 2],
  ['icFabricationDate', 2],
  ['icSerialNumber', 4],
  ['icBatchIdentifier', 2],
  ['icModuleFabricator', 2],
  ['icModulePackagingDate', 2],
  ['iccManufacturer', 2],
  ['icEmbeddingDate', 2],
  ['icPrePersonalizer', 2],
  ['icPrePersonalizationEquipmentDate', 2],
  ['icPrePersonalizationEquipmentIdentifier', 4],
  ['icPersonalizer', 2],
  ['icPersonalizationDate', 2],
  ['icPersonalizationEquipmentIdentifier', 4],
];

/** The GET DATA response carries the data object: '9F7F 2A' then the 42 bytes. */
const CPLC_HEADER = Uint8Array.of(GetDataTag.CPLC >> 8, GetDataTag.CPLC & 0xff, CPLC_BYTES);

function fieldBytes(value: number, size: 2 | 4, name: string): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** (8 * size)) {
    throw gpMalformed(`CPLC ${name} must fit ${size} bytes, received ${String(value)}`);
  }
  const out = new Uint8Array(size);
  let rest = value;
  for (let i = size - 1; i >= 0; i--) {
    out[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  return out;
}

/** The 42 bytes, without the '9F7F' header. */
export function encodeCPLC(cplc: CPLC): Uint8Array {
  return concatBytes(...CPLC_FIELDS.map(([name, size]) => fieldBytes(cplc[name], size, name)));
}

/** Decodes exactly 42 bytes. */
export function decodeCPLC(received: Uint8Array): CPLC {
  const bytes = requireBytes(received, 'CPLC');
  if (bytes.length !== CPLC_BYTES) throw gpMalformed(`expected CPLC of ${CPLC_BYTES} bytes, received ${bytes.length}`);
  const reader = new FieldReader(bytes, 'CPLC');
  const fields: Partial<Record<keyof CPLC, number>> = {};
  for (const [name, size] of CPLC_FIELDS) {
    let value = 0;
    for (const byte of reader.readBytes(size, name)) value = value * 256 + byte;
    fields[name] = value;
  }
  return fields as CPLC;
}

/** The GET DATA '9F7F' response data field: '9F7F 2A' and the 42 bytes. */
export function encodeCPLCResponse(cplc: CPLC): Uint8Array {
  return concatBytes(CPLC_HEADER, encodeCPLC(cplc));
}

export function decodeCPLCResponse(received: Uint8Array): CPLC {
  const bytes = requireBytes(received, 'CPLC response');
  if (bytes.length !== CPLC_HEADER.length + CPLC_BYTES || bytes[0] !== CPLC_HEADER[0] || bytes[1] !== CPLC_HEADER[1] || bytes[2] !== CPLC_HEADER[2]) {
    throw gpMalformed(`expected a CPLC response of '9F7F 2A' and ${CPLC_BYTES} bytes, received ${bytes.length} bytes`);
  }
  return decodeCPLC(bytes.subarray(CPLC_HEADER.length));
}

export interface CPLCDate {
  /** Last decimal digit of the year (the decade is not recorded). */
  readonly yearDigit: number;
  /** Day of the year, 1-366. */
  readonly dayOfYear: number;
}

/** 'YDDD' in BCD; '0000' and 'FFFF' (not recorded) and anything not a valid BCD day give undefined. */
export function decodeCPLCDate(value: number): CPLCDate | undefined {
  if (!Number.isInteger(value) || value <= 0 || value >= 0xffff) return undefined;
  const digits = [value >> 12, (value >> 8) & 0xf, (value >> 4) & 0xf, value & 0xf];
  if (digits.some((digit) => digit > 9)) return undefined;
  const [yearDigit, hundreds, tens, units] = digits as [number, number, number, number];
  const dayOfYear = hundreds * 100 + tens * 10 + units;
  if (dayOfYear < 1 || dayOfYear > 366) return undefined;
  return { yearDigit, dayOfYear };
}

export function encodeCPLCDate(date: CPLCDate): number {
  const { yearDigit, dayOfYear } = date;
  if (!Number.isInteger(yearDigit) || yearDigit < 0 || yearDigit > 9 || !Number.isInteger(dayOfYear) || dayOfYear < 1 || dayOfYear > 366) {
    throw gpMalformed(`a CPLC date has a year digit 0-9 and a day 1-366, received ${String(yearDigit)}/${String(dayOfYear)}`);
  }
  return (yearDigit << 12) | (Math.floor(dayOfYear / 100) << 8) | (Math.floor(dayOfYear / 10) % 10 << 4) | (dayOfYear % 10);
}
