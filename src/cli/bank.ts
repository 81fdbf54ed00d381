import { closeSync, constants, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { createSystemRandomSource } from '../lib/crypto/index.js';
import { fromHex } from '../lib/bytes.js';
import { TesseraError } from '../lib/errors.js';
import { formatMoney, parseMoney } from '../lib/money.js';
import { migrate } from '../infra/db/index.js';
import {
  addBinRange, addIssuerMasterKey, addMerchant, addTerminal, auditLedger, BANK_SCHEMA, bankMigrations, createCustomer, deposit, formatAuditReport,
  getAccount, issueCard, openCustomerAccount, runClearing, startBank, type BankContext, type BankDatabase,
} from '../bank/client.js';
import { createLogger } from '../infra/log/index.js';
import { DATA_DIR_DEFAULT } from './cardDeviceKey.js';
import { openPlatformDatabase } from './platformDatabase.js';
import { portOption } from './options.js';

/** The bank's key-encryption key (AES-256) seals issuer master keys at rest. */
const KEK_BYTES = 32;
const KEK_FILE_NAME = 'kek.key';
export const BANK_KEK_ENVIRONMENT_NAME = 'TESSERA_BANK_KEK';

interface CommonOptions {
  data?: string;
  databaseUrl?: string;
}

function dataDirOf(options: CommonOptions): string {
  return options.data ?? process.env['TESSERA_DATA_DIR'] ?? DATA_DIR_DEFAULT;
}

/**
 * The KEK from TESSERA_BANK_KEK (64 hex digits) or from <data>/bank/kek.key, created (mode 0600)
 * on first use. A file readable by others is refused: it would unlock every issuer key.
 */
export function loadBankKEK(dataDir: string, random: ReturnType<typeof createSystemRandomSource>): Uint8Array {
  const fromEnvironment = process.env[BANK_KEK_ENVIRONMENT_NAME];
  if (fromEnvironment !== undefined && fromEnvironment !== '') {
    const key = fromHex(fromEnvironment);
    if (key.length !== KEK_BYTES) throw new TesseraError('ERR_BANK_KEK_INVALID', `${BANK_KEK_ENVIRONMENT_NAME} must be ${KEK_BYTES * 2} hex digits`);
    return key;
  }
  const home = resolve(join(dataDir, 'bank'));
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const path = join(home, KEK_FILE_NAME);
  try {
    const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      writeSync(fd, random.bytes(KEK_BYTES));
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  if ((statSync(path).mode & 0o077) !== 0) throw new TesseraError('ERR_BANK_KEK_INVALID', `${path} must be readable by its owner only (chmod 600)`);
  const key = new Uint8Array(readFileSync(path));
  if (key.length !== KEK_BYTES) throw new TesseraError('ERR_BANK_KEK_INVALID', `${path} must hold ${KEK_BYTES} bytes`);
  return key;
}

/** Opens the platform database (migrated for the bank) and builds the bank's context; runs `work`, then closes. */
async function withBank<T>(options: CommonOptions, work: (context: BankContext) => Promise<T>): Promise<T> {
  const dataDir = dataDirOf(options);
  const random = createSystemRandomSource();
  const kek = loadBankKEK(dataDir, random);
  const handle = await openPlatformDatabase<BankDatabase>({ dataDir, databaseUrl: options.databaseUrl ?? process.env['DATABASE_URL'] });
  try {
    await migrate(handle.db, BANK_SCHEMA, bankMigrations);
    return await work({ db: handle.db, kek, random, now: Date.now });
  } finally {
    await handle.close();
  }
}

function withCommon(command: Command): Command {
  return command
    .option('--data <dir>', `data directory (default ${DATA_DIR_DEFAULT}, or TESSERA_DATA_DIR)`)
    .option('--database-url <url>', 'PostgreSQL instead of the embedded database (or DATABASE_URL)');
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 1) throw new InvalidArgumentError('expected a positive integer');
  return parsed;
}

function minorOf(text: string, currency: string): bigint {
  const { amountMinor } = parseMoney(text, currency);
  if (amountMinor <= 0n) throw new InvalidArgumentError('expected an amount above zero');
  return amountMinor;
}

function buildSetupCommands(bank: Command): void {
  withCommon(bank.command('customer').command('add').description('add a customer').requiredOption('--name <name>', 'the customer\'s name'))
    .action((options: CommonOptions & { name: string }) => withBank(options, async (context) => {
      console.log(`customer ${await createCustomer(context, { name: options.name })}`);
    }));

  withCommon(bank.command('account').command('add').description('open a customer account in one currency')
    .requiredOption('--customer <id>', 'the customer').requiredOption('--currency <code>', 'ISO 4217 code, e.g. CNY')
    .option('--deposit <amount>', 'an opening deposit, e.g. 100.00'))
    .action((options: CommonOptions & { customer: string; currency: string; deposit?: string }) => withBank(options, async (context) => {
      const accountId = await openCustomerAccount(context, { customerId: options.customer, currency: options.currency });
      if (options.deposit !== undefined) await deposit(context, { accountId, amountMinor: minorOf(options.deposit, options.currency) });
      const account = await getAccount(context, accountId);
      console.log(`account ${accountId}: available ${formatMoney({ amountMinor: account.availableBalanceMinor, currency: account.currency })}`);
    }));

  withCommon(bank.command('deposit').description('credit a customer account from outside the books')
    .requiredOption('--account <id>', 'the account').requiredOption('--amount <amount>', 'e.g. 12.34'))
    .action((options: CommonOptions & { account: string; amount: string }) => withBank(options, async (context) => {
      const { currency } = await getAccount(context, options.account);
      const entryId = await deposit(context, { accountId: options.account, amountMinor: minorOf(options.amount, currency) });
      const account = await getAccount(context, options.account);
      console.log(`entry ${entryId}; account ${options.account}: ledger ${formatMoney({ amountMinor: account.ledgerBalanceMinor, currency })}`);
    }));

  withCommon(bank.command('bin').command('add <prefix>').description('add an issuer BIN range with its issuer master key for application cryptograms')
    .requiredOption('--name <name>', 'a label for the range')
    .requiredOption('--imk <hex>', 'the issuer master key (16 bytes, hex); stored sealed under the bank\'s KEK'))
    .action((prefix: string, options: CommonOptions & { name: string; imk: string }) => withBank(options, async (context) => {
      const keyId = await addIssuerMasterKey(context, { label: `IMK-AC ${prefix}`, key: fromHex(options.imk) });
      await addBinRange(context, { prefix, name: options.name, issuerMasterKeyId: keyId });
      console.log(`BIN ${prefix}: issuer master key ${keyId} (sealed)`);
    }));

  withCommon(bank.command('card').command('add').description('issue a card (a token PAN) on a customer account')
    .requiredOption('--account <id>', 'the customer account').requiredOption('--pan <digits>', 'the token PAN')
    .requiredOption('--expiry <YYMM>', 'expiry').option('--psn <n>', 'PAN sequence number', (value) => Number(value), 1)
    .option('--transaction-limit <amount>', 'per-transaction limit').option('--daily-limit <amount>', 'daily limit')
    .option('--daily-count <n>', 'approvals per day', positiveInteger))
    .action((options: CommonOptions & { account: string; pan: string; expiry: string; psn: number; transactionLimit?: string; dailyLimit?: string; dailyCount?: number }) =>
      withBank(options, async (context) => {
        const { currency } = await getAccount(context, options.account);
        const cardId = await issueCard(context, {
          accountId: options.account, pan: options.pan, expiry: options.expiry, psn: options.psn,
          ...(options.transactionLimit === undefined ? {} : { transactionLimitMinor: minorOf(options.transactionLimit, currency) }),
          ...(options.dailyLimit === undefined ? {} : { dailyLimitMinor: minorOf(options.dailyLimit, currency) }),
          ...(options.dailyCount === undefined ? {} : { dailyCountMax: options.dailyCount }),
        });
        console.log(`card ${cardId}: ****${options.pan.slice(-4)} expires ${options.expiry}`);
      }));

  withCommon(bank.command('merchant').command('add <id>').description('add a merchant (field 42, 15 characters) with a settlement account per currency')
    .requiredOption('--name <name>', 'the merchant\'s name').requiredOption('--currency <codes>', 'settlement currencies, comma-separated'))
    .action((id: string, options: CommonOptions & { name: string; currency: string }) => withBank(options, async (context) => {
      const { settlementAccounts } = await addMerchant(context, { id, name: options.name, currencies: options.currency.split(',') });
      for (const [currency, accountId] of Object.entries(settlementAccounts)) console.log(`merchant ${JSON.stringify(id)}: ${currency} settlement account ${accountId}`);
    }));

  withCommon(bank.command('terminal').command('add <id>').description('add a terminal (field 41, 8 characters) of a merchant')
    .requiredOption('--merchant <id>', 'the merchant'))
    .action((id: string, options: CommonOptions & { merchant: string }) => withBank(options, async (context) => {
      await addTerminal(context, { id, merchantId: options.merchant });
      console.log(`terminal ${JSON.stringify(id)} of merchant ${JSON.stringify(options.merchant)}`);
    }));
}

/** `tessera bank …`: set-up commands, end-of-day clearing and the ledger audit. */
export function registerBankCommands(program: Command): void {
  const bank = program.command('bank').description('the issuer and acquirer bank: customers, accounts, cards, merchants, clearing, audit');
  buildSetupCommands(bank);

  withCommon(bank.command('clear').description('end-of-day clearing: move captured money to merchant settlement accounts (idempotent per date)')
    .option('--date <YYYY-MM-DD>', 'business date (default today, UTC)'))
    .action((options: CommonOptions & { date?: string }) => withBank(options, async (context) => {
      const result = await runClearing(context, options.date ?? new Date(context.now()).toISOString().slice(0, 10));
      console.log(`clearing ${result.businessDate}${result.replayed ? ' (already done; nothing moved)' : ''}: ${result.entriesCleared} entries cleared`);
      for (const settlement of result.settlements) {
        console.log(`  ${settlement.merchantId}  ${formatMoney({ amountMinor: settlement.netMinor, currency: settlement.currency })}`);
      }
    }));

  withCommon(bank.command('audit').description('prove the books balance and every hold is accounted for (exit 0 when balanced, 1 otherwise)')
    .option('--json', 'print the report as JSON'))
    .action((options: CommonOptions & { json?: boolean }) => withBank(options, async (context) => {
      const report = await auditLedger(context.db);
      console.log(options.json === true ? JSON.stringify(report) : formatAuditReport(report));
      if (!report.balanced) process.exitCode = 1;
    }));
}

/** `tessera serve bank`: the issuer and acquirer ISO 8583 hosts alone (several may share one PostgreSQL). */
export function addServeBankCommand(serve: Command): void {
  withCommon(serve.command('bank').description('the bank: issuer ISO 8583 host and acquirer ISO 8583 host (2-byte length framing)')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--issuer-port <port>', 'issuer ISO 8583 port', portOption, 8583)
    .option('--acquirer-port <port>', 'acquirer ISO 8583 port (terminals connect here)', portOption, 8584)
    .option('--dialect <name>', 'ISO 8583 dialect: bcd or ascii (docs/iso8583.md)', 'bcd'))
    .action(async (options: CommonOptions & { host: string; issuerPort: number; acquirerPort: number; dialect: string }) => {
      if (options.dialect !== 'bcd' && options.dialect !== 'ascii') throw new InvalidArgumentError('the dialect is bcd or ascii');
      const dataDir = dataDirOf(options);
      const random = createSystemRandomSource();
      const kek = loadBankKEK(dataDir, random);
      const handle = await openPlatformDatabase<BankDatabase>({ dataDir, databaseUrl: options.databaseUrl ?? process.env['DATABASE_URL'] });
      await migrate(handle.db, BANK_SCHEMA, bankMigrations);
      const bank = await startBank(
        { host: options.host, issuerPort: options.issuerPort, acquirerPort: options.acquirerPort, dialect: options.dialect },
        { context: { db: handle.db, kek, random, now: Date.now }, logger: createLogger({ level: 'info', name: 'bank' }) },
      );
      const stop = (): void => {
        void bank.stop().then(() => handle.close()).then(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      console.log(`issuer ISO 8583 host: ${bank.issuer.host}:${bank.issuer.port} (${options.dialect})`);
      console.log(`acquirer ISO 8583 host: ${bank.acquirer.host}:${bank.acquirer.port} (${options.dialect}; terminals connect here)`);
    });
}
