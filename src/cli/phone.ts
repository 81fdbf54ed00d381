import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { TesseraError } from '../lib/errors.js';
import type { Kysely } from 'kysely';
import { createSystemRandomSource } from '../lib/crypto/index.js';
import { migrate } from '../infra/db/index.js';
import { listInbox, registerHandset, SMSC_SCHEMA, smscMigrations, type InboxEntry, type SmscDatabase } from '../smsc/client.js';
import { DATA_DIR_DEFAULT } from './cardDeviceKey.js';
import { openPlatformDatabase } from './platformDatabase.js';

/**
 * `tessera phone …`: handsets of the SMS center (docs/smsc.md). `inbox` shows what a phone has
 * received; `register` gives a phone the secret it attaches with. Output is line oriented and stable.
 */

interface CommonOptions {
  data?: string;
  databaseUrl?: string;
}

async function openSmscDatabase(options: CommonOptions): Promise<{ db: Kysely<SmscDatabase>; close(): Promise<void> }> {
  const dataDir = options.data ?? process.env['TESSERA_DATA_DIR'] ?? DATA_DIR_DEFAULT;
  const handle = await openPlatformDatabase<SmscDatabase>({ dataDir, databaseUrl: options.databaseUrl ?? process.env['DATABASE_URL'] });
  try {
    await migrate(handle.db, SMSC_SCHEMA, smscMigrations);
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle;
}

/**
 * The inbox from the database, or — while `tessera up` holds the embedded database — from the
 * running platform's console (found through <data>/platform.json).
 */
async function inboxOf(msisdn: string, options: CommonOptions & { limit: number }): Promise<InboxEntry[]> {
  const dataDir = options.data ?? process.env['TESSERA_DATA_DIR'] ?? DATA_DIR_DEFAULT;
  const platformFile = join(resolve(dataDir), 'platform.json');
  const databaseUrl = options.databaseUrl ?? process.env['DATABASE_URL'];
  if ((databaseUrl === undefined || databaseUrl === '') && existsSync(platformFile)) {
    const platform = JSON.parse(readFileSync(platformFile, 'utf8')) as { services: { service: string; url?: string }[] };
    const consoleUrl = platform.services.find((row) => row.service === 'console')?.url;
    if (consoleUrl !== undefined) {
      const response = await fetch(`${consoleUrl}/v1/phones/${encodeURIComponent(msisdn)}/inbox?limit=${Math.min(50, Math.max(1, options.limit))}`);
      const body = (await response.json()) as { messages?: { id: string; from: string; text: string; parts: number; receivedAt: string }[]; message?: string; code?: string };
      if (!response.ok || body.messages === undefined) throw new TesseraError(body.code ?? 'ERR_PHONE_INBOX', body.message ?? `the console answered ${response.status}`);
      return body.messages.map((message) => ({ ...message, receivedAt: new Date(message.receivedAt) }));
    }
  }
  const opened = await openSmscDatabase(options);
  try {
    return await listInbox(opened.db, msisdn, { limit: options.limit });
  } finally {
    await opened.close();
  }
}

function withCommon(command: Command): Command {
  return command
    .option('--data <dir>', `data directory (default ${DATA_DIR_DEFAULT}, or TESSERA_DATA_DIR)`)
    .option('--database-url <url>', 'PostgreSQL instead of the embedded database (or DATABASE_URL)');
}

/** One line per message, newest first: received time, sender, part count, text (line breaks shown as ⏎). */
export function formatInboxLine(entry: { receivedAt: Date; from: string; parts: number; text: string }): string {
  return `${entry.receivedAt.toISOString()}  from ${entry.from}  (${entry.parts} part${entry.parts === 1 ? '' : 's'})  ${entry.text.replace(/\r?\n/g, '⏎')}`;
}

export function buildPhoneCommand(): Command {
  const phone = new Command('phone').description('handsets of the SMS center: inbox, registration');

  withCommon(phone.command('inbox <msisdn>').description('list the messages a phone has received, newest first')
    .option('--limit <n>', 'at most this many (default 50)', (value) => Number.parseInt(value, 10), 50)
    .option('--json', 'one JSON object per line'))
    .action(async (msisdn: string, options: CommonOptions & { limit: number; json?: boolean }) => {
      const entries = await inboxOf(msisdn, options);
      if (entries.length === 0 && options.json !== true) console.log(`no messages for ${msisdn}`);
      for (const entry of entries) {
        console.log(options.json === true ? JSON.stringify({ ...entry, receivedAt: entry.receivedAt.toISOString() }) : formatInboxLine(entry));
      }
    });

  withCommon(phone.command('register <msisdn>').description('register a handset; prints the secret it attaches with (shown once)')
    .option('--secret <secret>', 'use this secret instead of a generated one'))
    .action(async (msisdn: string, options: CommonOptions & { secret?: string }) => {
      const opened = await openSmscDatabase(options);
      try {
        const registration = await registerHandset(opened.db, { msisdn, ...(options.secret === undefined ? {} : { secret: options.secret }) }, createSystemRandomSource());
        console.log(`handset ${registration.msisdn} registered; secret ${registration.secret}`);
      } finally {
        await opened.close();
      }
    });
  return phone;
}

/** Adds `tessera phone …` to the program (the composition root calls this). */
export function registerPhoneCommands(program: Command): void {
  program.addCommand(buildPhoneCommand());
}
