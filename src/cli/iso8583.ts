import { Option, type Command } from 'commander';
import { fromHex, toHex } from '../lib/bytes.js';
import { TesseraError } from '../lib/errors.js';
import {
  decodeISO8583, encodeISO8583, ISO8583_DIALECTS, ISO8583_MESSAGE_BYTES_MAX, ISO8583ErrorCode, messageFromJSON,
  messageToJSON, type ISO8583Dialect,
} from '../lib/iso8583/index.js';

/**
 * `tessera iso8583 …`: decode and encode ISO 8583:1987 messages in one of the built-in dialects
 * (docs/iso8583.md). Pure text in, text out, so scripts and tests can call the functions below
 * without a process: `decode` prints the JSON form that `encode` reads.
 */

export const ISO8583_DIALECT_NAMES: readonly string[] = Object.keys(ISO8583_DIALECTS);

/** Largest JSON argument accepted: generous for the largest message's JSON form. */
const ISO8583_JSON_CHARACTERS_MAX = 8 * ISO8583_MESSAGE_BYTES_MAX;

interface DialectOption {
  readonly dialect: string;
}

function dialectNamed(name: string): ISO8583Dialect {
  const dialect = ISO8583_DIALECTS[name];
  if (dialect === undefined) {
    throw new TesseraError('ERR_CLI_USAGE', `unknown dialect ${name}; known: ${ISO8583_DIALECT_NAMES.join(', ')}`);
  }
  return dialect;
}

/** `tessera iso8583 decode HEX`: the message as indented JSON; binary fields in upper-case hex, field 55 as data objects. */
export function runISO8583Decode(hex: string, options: DialectOption): string {
  const dialect = dialectNamed(options.dialect);
  const message = decodeISO8583(fromHex(hex), dialect);
  return JSON.stringify(messageToJSON(message, dialect), null, 2);
}

/** `tessera iso8583 encode JSON`: the message in upper-case hex. */
export function runISO8583Encode(json: string, options: DialectOption): string {
  const dialect = dialectNamed(options.dialect);
  if (json.length > ISO8583_JSON_CHARACTERS_MAX) {
    throw new TesseraError(ISO8583ErrorCode.json, `the JSON has more than ${ISO8583_JSON_CHARACTERS_MAX} characters`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new TesseraError(ISO8583ErrorCode.json, 'the argument is not valid JSON', { cause: error });
  }
  return toHex(encodeISO8583(messageFromJSON(parsed, dialect), dialect));
}

function dialectOption(): Option {
  return new Option('--dialect <name>', 'wire dialect: ascii (all text, hex bitmaps) or bcd (packed numerics, binary bitmaps)')
    .choices(ISO8583_DIALECT_NAMES)
    .default('ascii');
}

/**
 * Adds `tessera iso8583 decode|encode` to `program`. `write` receives each command's output
 * (one string); it defaults to standard output.
 */
export function registerISO8583Commands(program: Command, write: (text: string) => void = (text) => console.log(text)): Command {
  const iso8583 = program.command('iso8583').description('decode and encode ISO 8583:1987 messages (docs/iso8583.md)');

  iso8583.command('decode')
    .description('decode a message given in hex; prints its fields as JSON (binary in hex, field 55 as BER-TLV data objects)')
    .argument('<hex>', 'the message from its MTI to its last field, in hex (spaces allowed)')
    .addOption(dialectOption())
    .action((hex: string, options: DialectOption) => write(runISO8583Decode(hex, options)));

  iso8583.command('encode')
    .description('encode a message given as JSON ({"mti": "0800", "fields": {"11": "000001", …}}); prints upper-case hex')
    .argument('<json>', 'the message as JSON, in the form decode prints')
    .addOption(dialectOption())
    .action((json: string, options: DialectOption) => write(runISO8583Encode(json, options)));

  return iso8583;
}
