import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { createSystemRandomSource } from '../lib/crypto/index.js';
import { TesseraError } from '../lib/errors.js';
import { parseMoney, requireCurrency } from '../lib/money.js';
import { ISO8583Client, dialectByName } from '../bank/client.js';
import { formatReceipt, pay, MERCHANT_ID_LENGTH, TERMINAL_ID_LENGTH } from '../pos/client.js';
import { DATA_DIR_DEFAULT } from './cardDeviceKey.js';
import { modelFinger, openDeviceDirectory } from './device.js';
import { hostPortOption } from './options.js';

interface PayOptions {
  device: string;
  finger?: string;
  amount: string;
  currency: string;
  acquirer: string;
  terminal: string;
  merchant: string;
  merchantName: string;
  country: number;
  dialect: string;
  data?: string;
  deviceKeyFile?: string;
  json?: boolean;
}

/**
 * `tessera pos pay`: a merchant terminal takes one contactless payment from a device directory.
 * The device is in the same process (its NFC controller is the terminal's link: the field is a
 * model, docs/pos.md); the terminal reaches the acquirer over ISO 8583 TCP.
 */
export function registerPOSCommands(program: Command): void {
  const pos = program.command('pos').description('a merchant terminal: contactless payments from a device, online over ISO 8583 (docs/pos.md)');
  pos.command('pay').description('tap a device: payment mode, the finger on the Crypto SE, PPSE → GENERATE AC, 0200 to the acquirer, receipt')
    .requiredOption('--device <dir>', 'the device directory (tessera device new)')
    .requiredOption('--amount <amount>', 'amount in major units, e.g. 12.34')
    .option('--currency <code>', 'ISO 4217 currency', 'CNY')
    .option('--finger <name>', 'the enrolled modelled finger the customer presents (omit to tap without verifying: the reader is told to see the phone)')
    .option('--acquirer <host:port>', 'the acquirer ISO 8583 host', '127.0.0.1:8584')
    .option('--terminal <id>', `terminal id, ${TERMINAL_ID_LENGTH} characters (field 41)`, 'POS00001')
    .option('--merchant <id>', `merchant id, ${MERCHANT_ID_LENGTH} characters (field 42)`, 'TESSERA SHOP 01')
    .option('--merchant-name <name>', 'printed on the receipt', 'Tessera Shop')
    .option('--country <numeric>', 'ISO 3166 numeric country of the terminal', (value) => Number(value), 156)
    .option('--dialect <name>', 'ISO 8583 dialect: bcd or ascii', 'bcd')
    .option('--data <dir>', 'data directory holding the card device key')
    .option('--device-key-file <file>', 'the card device key file')
    .option('--json', 'print the result as one JSON object')
    .action(async (options: PayOptions) => {
      const currency = requireCurrency(options.currency.toUpperCase());
      const amount = parseMoney(options.amount, currency.code);
      if (options.dialect !== 'bcd' && options.dialect !== 'ascii') throw new InvalidArgumentError('the dialect is bcd or ascii');
      const acquirer = hostPortOption(options.acquirer);
      const device = openDeviceDirectory(options.device, { ...(options.data === undefined ? {} : { data: options.data }), ...(options.deviceKeyFile === undefined ? {} : { deviceKeyFile: options.deviceKeyFile }) });
      // A terminal never reuses a STAN soon: the last one is kept in the data directory.
      const stanFile = join(resolve(options.data ?? process.env['TESSERA_DATA_DIR'] ?? DATA_DIR_DEFAULT), 'pos', `${options.terminal.replace(/[^A-Za-z0-9]/g, '_')}.stan`);
      const lastSTAN = existsSync(stanFile) ? Number(readFileSync(stanFile, 'utf8').trim()) : 0;
      const client = await ISO8583Client.connect({ ...acquirer, dialect: dialectByName(options.dialect), lastSTAN: Number.isInteger(lastSTAN) ? lastSTAN : 0 });
      const nextSTAN = client.nextSTAN.bind(client);
      const acquirerLink = {
        request: client.request.bind(client),
        nextSTAN: (): string => {
          const stan = nextSTAN();
          mkdirSync(dirname(stanFile), { recursive: true });
          writeFileSync(stanFile, `${Number(stan)}\n`);
          return stan;
        },
      };
      try {
        if (options.finger !== undefined) {
          const verified = device.prepareTap(modelFinger(options.finger));
          if (!verified.verified) throw new TesseraError('ERR_POS_VERIFICATION', `the finger did not match (${verified.triesLeft} tries left)`);
        } else if (!device.radios.paymentMode) {
          device.radios.press();
        }
        const result = await pay(device.contactless(), acquirerLink, {
          terminalId: options.terminal, merchantId: options.merchant, merchantName: options.merchantName, countryNumeric: options.country,
        }, { amountMinor: amount.amountMinor, currencyNumeric: currency.numericCode, at: new Date(), unpredictableNumber: createSystemRandomSource().bytes(4) });
        if (options.json === true) {
          console.log(JSON.stringify(result));
        } else if (result.kind === 'see-phone') {
          console.log('SEE PHONE: verify on the device (--finger NAME) and tap again');
        } else if (result.kind === 'not-completed') {
          console.log(`NOT COMPLETED: ${result.reason}`);
        } else {
          console.log(formatReceipt(result.receipt));
        }
        process.exitCode = result.kind === 'approved' ? 0 : 1;
      } finally {
        if (device.radios.paymentMode) device.radios.press();
        device.close();
        await client.close();
      }
    });
}
