import { type Command, InvalidArgumentError, Option } from 'commander';
import { fromHex, toHex } from '../lib/bytes.js';
import {
  AC_BYTES, ARC_BYTES, ATC_BYTES, computeARPC, computeARQC, CSU_BYTES, deriveICCMasterKey, deriveSessionKey, EMV_KEY_BYTES,
  PROPRIETARY_AUTHENTICATION_DATA_BYTES_MAX, UNPREDICTABLE_NUMBER_BYTES, type ComputeARPCInput, type MasterKeyDerivationOption,
} from '../lib/emv/index.js';
import { isTesseraError, TesseraError } from '../lib/errors.js';

/**
 * `tessera emv …`: the EMV card cryptography of src/lib/emv on the command line (docs/emv.md), for
 * checking a card, an HSM or a scheme test tool by hand. Each command prints one value as upper-case
 * hex and nothing else, so scripts can read it. Bad input of any kind (unparsable hex, a wrong
 * length, a missing or unknown option) prints a clear error and exits with status 2.
 *
 * Keys are given on the command line, so they land in the shell history: use test keys only.
 */

export const CliEMVErrorCode = {
  /** Options that do not fit together (ARPC method 1 without --arc, --prop with method 1). */
  usage: 'ERR_CLI_USAGE',
} as const;

/** The conventional exit status for a usage error (BSD sysexits' EX_USAGE is 64; shells and commander tools use 2). */
const EXIT_USAGE = 2;

// --- Option parsers (commander calls them; InvalidArgumentError becomes its usage error) -------------

function hexOf(value: string, what: string): Uint8Array {
  const compact = value.replace(/[\s:]/g, '');
  if (compact.length === 0 || !/^([0-9A-Fa-f]{2})*$/.test(compact)) {
    throw new InvalidArgumentError(`expected ${what} as an even number of hex digits`);
  }
  return fromHex(compact);
}

function hexOfLength(lengthBytes: number, what: string): (value: string) => Uint8Array {
  return (value) => {
    const bytes = hexOf(value, what);
    if (bytes.length !== lengthBytes) {
      throw new InvalidArgumentError(`expected ${what} of ${lengthBytes} bytes (${2 * lengthBytes} hex digits), received ${bytes.length}`);
    }
    return bytes;
  };
}

const parseKey = hexOfLength(EMV_KEY_BYTES, 'a double-length DES key');

function parseData(value: string): Uint8Array {
  return hexOf(value, 'the transaction data');
}

function parseProprietaryData(value: string): Uint8Array {
  // An empty --prop means no proprietary authentication data, as when the option is left out.
  if (value.trim().length === 0) return new Uint8Array(0);
  const bytes = hexOf(value, 'proprietary authentication data');
  if (bytes.length > PROPRIETARY_AUTHENTICATION_DATA_BYTES_MAX) {
    throw new InvalidArgumentError(`expected at most ${PROPRIETARY_AUTHENTICATION_DATA_BYTES_MAX} bytes of proprietary authentication data, received ${bytes.length}`);
  }
  return bytes;
}

function parsePadding(value: string): 1 | 2 {
  if (value === '1') return 1;
  if (value === '2') return 2;
  throw new InvalidArgumentError('expected ISO/IEC 9797-1 padding method 1 (zeros) or 2 (80 00..)');
}

// --- Running a command -------------------------------------------------------------------------------

/** Prints `bytes` through commander's output, so a caller that configured it (a test) sees it. */
function printHex(command: Command, bytes: Uint8Array): void {
  const output = command.configureOutput();
  const line = `${toHex(bytes)}\n`;
  if (output.writeOut === undefined) process.stdout.write(line);
  else output.writeOut(line);
}

/** Runs `compute`, printing its result; an input the library refuses is a usage error (exit 2). */
function run(command: Command, compute: () => Uint8Array): void {
  let result: Uint8Array;
  try {
    result = compute();
  } catch (error) {
    if (isTesseraError(error)) command.error(`tessera: ${error.message} (${error.code})`, { exitCode: EXIT_USAGE, code: error.code });
    throw error;
  }
  printHex(command, result);
}

function usage(message: string): TesseraError {
  return new TesseraError(CliEMVErrorCode.usage, message);
}

interface DeriveICCKeyOptions {
  imk: Uint8Array;
  pan: string;
  psn?: string;
  option: MasterKeyDerivationOption;
}

interface SessionKeyOptions {
  key: Uint8Array;
  atc: Uint8Array;
  un?: Uint8Array;
}

interface ARQCOptions {
  key: Uint8Array;
  data: Uint8Array;
  padding: 1 | 2;
}

interface ARPCOptions {
  key: Uint8Array;
  arqc: Uint8Array;
  method: '1' | '2';
  arc?: Uint8Array;
  csu?: Uint8Array;
  prop?: Uint8Array;
}

function arpcInput(options: ARPCOptions): ComputeARPCInput {
  const { key, arqc } = options;
  if (options.method === '1') {
    if (options.arc === undefined) throw usage('ARPC method 1 needs --arc (the 2-byte authorisation response code, e.g. 3030)');
    if (options.csu !== undefined || options.prop !== undefined) throw usage('--csu and --prop belong to ARPC method 2');
    return { method: 1, key, arqc, arc: options.arc };
  }
  if (options.csu === undefined) throw usage('ARPC method 2 needs --csu (the 4-byte card status update, e.g. 00000000)');
  if (options.arc !== undefined) throw usage('--arc belongs to ARPC method 1');
  return { method: 2, key, arqc, csu: options.csu, ...(options.prop === undefined ? {} : { proprietaryAuthenticationData: options.prop }) };
}

/** Adds `emv` and its subcommands to the `tessera` program. */
export function registerEMVCommands(program: Command): void {
  const emv = program.command('emv')
    .description('EMV card cryptography (EMV 4.4 Book 2): ICC master keys, session keys, ARQC, ARPC; prints upper-case hex (docs/emv.md)')
    // Every failure below `emv` is a usage error: exit 2 (help itself exits 0).
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : EXIT_USAGE));

  emv.command('derive-icc-key')
    .description('derive the ICC master key from an issuer master key, PAN and PSN (Book 2 Annex A1.4, odd parity)')
    .requiredOption('--imk <hex>', 'issuer master key, 16 bytes', parseKey)
    .requiredOption('--pan <digits>', 'application PAN, 8 to 19 digits')
    .option('--psn <nn>', 'PAN sequence number, two digits (default 00)')
    .addOption(new Option('--option <A|B>', 'derivation option; B differs from A only for PANs over 16 digits').choices(['A', 'B']).default('A'))
    .action((options: DeriveICCKeyOptions, command: Command) => run(command, () => deriveICCMasterKey({
      issuerMasterKey: options.imk,
      pan: options.pan,
      option: options.option,
      ...(options.psn === undefined ? {} : { panSequenceNumber: options.psn }),
    })));

  emv.command('session-key')
    .description('derive the AC session key: EMV common session key, R = ATC || 00.. (Book 2 Annex A1.3); with --un the M/Chip R = ATC || 0000 || UN')
    .requiredOption('--key <hex>', 'ICC master key, 16 bytes', parseKey)
    .requiredOption('--atc <hex>', 'application transaction counter (9F36), 2 bytes', hexOfLength(ATC_BYTES, 'the ATC'))
    .option('--un <hex>', 'unpredictable number (9F37), 4 bytes: selects the MasterCard session key derivation', hexOfLength(UNPREDICTABLE_NUMBER_BYTES, 'the unpredictable number'))
    .action((options: SessionKeyOptions, command: Command) => run(command, () => (options.un === undefined
      ? deriveSessionKey({ iccMasterKey: options.key, atc: options.atc })
      : deriveSessionKey({ iccMasterKey: options.key, atc: options.atc, method: 'mastercard-skd', unpredictableNumber: options.un }))));

  emv.command('arqc')
    .description('compute an application cryptogram (ARQC/TC/AAC): ISO/IEC 9797-1 MAC algorithm 3 over the data (Book 2 Annex A1.2)')
    .requiredOption('--key <hex>', 'session key (or the ICC master key for Visa CVN 10), 16 bytes', parseKey)
    .requiredOption('--data <hex>', 'transaction data: CDOL1 values, AIP, ATC, IAD/CVR as the scheme requires', parseData)
    .option('--padding <1|2>', 'ISO/IEC 9797-1 padding method: 2 (EMV, default) or 1 (zeros, Visa CVN 10)', parsePadding, 2)
    .action((options: ARQCOptions, command: Command) => run(command, () => computeARQC({
      sessionKey: options.key, data: options.data, padding: options.padding,
    })));

  emv.command('arpc')
    .description('compute an ARPC: method 1 = DES3(key)[ARQC XOR ARC || 00..]; method 2 = MAC(key)[ARQC || CSU || prop], 4 bytes (Book 2 §8.2)')
    .requiredOption('--key <hex>', 'the ARPC key the scheme names (session key or ICC master key), 16 bytes', parseKey)
    .requiredOption('--arqc <hex>', 'the ARQC, 8 bytes', hexOfLength(AC_BYTES, 'the ARQC'))
    .addOption(new Option('--method <1|2>', 'ARPC method').choices(['1', '2']).makeOptionMandatory())
    .option('--arc <hex>', 'method 1: authorisation response code, 2 bytes (e.g. 3030 for "00")', hexOfLength(ARC_BYTES, 'the authorisation response code'))
    .option('--csu <hex>', 'method 2: card status update, 4 bytes', hexOfLength(CSU_BYTES, 'the card status update'))
    .option('--prop <hex>', 'method 2: proprietary authentication data, 0 to 8 bytes', parseProprietaryData)
    .action((options: ARPCOptions, command: Command) => run(command, () => computeARPC(arpcInput(options))));
}
