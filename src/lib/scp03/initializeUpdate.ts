import { bytesToUint, concatBytes, copyBytes, uintToBytes } from '../bytes.js';
import { LibErrorCode, TesseraError } from '../errors.js';
import {
  SCP03_IDENTIFIER,
  SCP03_KEY_DIVERSIFICATION_DATA_BYTES,
  SCP03_KEY_INFORMATION_BYTES,
  SCP03_SEQUENCE_COUNTER_BYTES,
} from './limits.js';
import { decodeSCP03Parameter, scp03ChallengeBytes, type SCP03Mode, type SCP03Parameter } from './types.js';

/** INITIALIZE UPDATE: CLA '80'-'83' / 'C0'-'CF', INS '50', P1 key version, P2 '00' (Amendment D §7.1.1). */
export const SCP03_INS_INITIALIZE_UPDATE = 0x50;
/** EXTERNAL AUTHENTICATE: CLA '84'-'87' / 'E0'-'EF', INS '82', P1 security level, P2 '00'. */
export const SCP03_INS_EXTERNAL_AUTHENTICATE = 0x82;

/**
 * The INITIALIZE UPDATE response data field (Amendment D §7.1.1.6, Table 7-3):
 *   key diversification data (10) || key information (3: key version, '03', i) ||
 *   card challenge (8 or 16) || card cryptogram (8 or 16) || [sequence counter (3), pseudo-random mode only]
 */
export interface SCP03InitializeUpdateResponse {
  readonly keyDiversificationData: Uint8Array;
  readonly keyVersion: number;
  /** The raw parameter i. */
  readonly parameterI: number;
  readonly cardChallenge: Uint8Array;
  readonly cardCryptogram: Uint8Array;
  /** Present exactly when i announces pseudo-random card challenges. */
  readonly sequenceCounter: number | undefined;
}

function malformed(message: string): TesseraError {
  return new TesseraError(LibErrorCode.scp03CardResponse, message);
}

export function encodeSCP03InitializeUpdateResponse(response: SCP03InitializeUpdateResponse): Uint8Array {
  const counter =
    response.sequenceCounter === undefined ? new Uint8Array(0) : uintToBytes(response.sequenceCounter, SCP03_SEQUENCE_COUNTER_BYTES);
  return concatBytes(
    response.keyDiversificationData,
    Uint8Array.of(response.keyVersion, SCP03_IDENTIFIER, response.parameterI),
    response.cardChallenge,
    response.cardCryptogram,
    counter,
  );
}

/**
 * Parses the response data the host received, for a session it opened in `expectedMode`. Every
 * check names what it expected; nothing here is secret (the cryptogram is verified elsewhere,
 * in constant time).
 */
export function parseSCP03InitializeUpdateResponse(
  received: Uint8Array,
  expectedMode: SCP03Mode,
): SCP03InitializeUpdateResponse & { readonly parameter: SCP03Parameter } {
  const challengeBytes = scp03ChallengeBytes(expectedMode);
  const fixedBytes = SCP03_KEY_DIVERSIFICATION_DATA_BYTES + SCP03_KEY_INFORMATION_BYTES + 2 * challengeBytes;
  if (received.length !== fixedBytes && received.length !== fixedBytes + SCP03_SEQUENCE_COUNTER_BYTES) {
    throw malformed(
      `expected an ${expectedMode} INITIALIZE UPDATE response of ${fixedBytes} or ${fixedBytes + SCP03_SEQUENCE_COUNTER_BYTES} bytes, received ${received.length}`,
    );
  }
  const bytes = copyBytes(received);
  let offset = 0;
  const take = (length: number): Uint8Array => {
    const part = bytes.slice(offset, offset + length);
    offset += length;
    return part;
  };
  const keyDiversificationData = take(SCP03_KEY_DIVERSIFICATION_DATA_BYTES);
  const [keyVersion, scpIdentifier, parameterI] = take(SCP03_KEY_INFORMATION_BYTES) as unknown as [number, number, number];
  if (scpIdentifier !== SCP03_IDENTIFIER) {
    throw malformed(`expected SCP identifier 03 in the key information, received ${scpIdentifier.toString(16).padStart(2, '0')}`);
  }
  const parameter = decodeSCP03Parameter(parameterI);
  if (parameter === undefined) {
    throw malformed(`parameter i ${parameterI.toString(16).padStart(2, '0')} sets RFU bits or R-ENCRYPTION without R-MAC`);
  }
  if (parameter.mode !== expectedMode) {
    throw malformed(`the host opened an ${expectedMode} session but parameter i announces ${parameter.mode}`);
  }
  const cardChallenge = take(challengeBytes);
  const cardCryptogram = take(challengeBytes);
  const hasCounter = received.length === fixedBytes + SCP03_SEQUENCE_COUNTER_BYTES;
  if (hasCounter !== parameter.pseudoRandomCardChallenge) {
    throw malformed(
      parameter.pseudoRandomCardChallenge
        ? 'parameter i announces pseudo-random card challenges but the sequence counter is missing'
        : 'parameter i announces random card challenges but a sequence counter follows the cryptogram',
    );
  }
  const sequenceCounter = hasCounter ? bytesToUint(take(SCP03_SEQUENCE_COUNTER_BYTES)) : undefined;
  return { keyDiversificationData, keyVersion, parameterI, cardChallenge, cardCryptogram, sequenceCounter, parameter };
}
