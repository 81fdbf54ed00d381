/**
 * Test harness for the PC/SC integration test: finds the system tools, takes a machine-wide lock,
 * starts (or reuses) pcscd with the vsmartcard vpcd driver, and talks to readers through the real
 * PC/SC client tools (opensc-tool from OpenSC, scriptor from pcsc-tools).
 *
 * Nothing here installs anything; scripts/pcsc-setup.sh does that for CI.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** One PC/SC tool run (pcscd's client library waits for the daemon, so allow some seconds). */
export const TOOL_RUN_TIMEOUT_MS = 20_000;
/** Time for pcscd to come up and list the vpcd reader. */
export const READER_APPEAR_TIMEOUT_MS = 15_000;
/** Time for pcscd to notice the card after the bridge connects (it polls every ~400 ms). */
export const CARD_PRESENT_TIMEOUT_MS = 15_000;
/** Time to wait for another run of this test (or a previous run's pcscd) to let go. */
export const LOCK_WAIT_MS_MAX = 120_000;
/** Time pcscd gets to exit on SIGTERM before SIGKILL. */
export const PCSCD_STOP_TIMEOUT_MS = 5_000;
/** pcscd log lines kept for the failure message. */
export const PCSCD_LOG_LINES_MAX = 200;
const POLL_INTERVAL_MS = 200;

/** Abstract Unix socket (Linux): the kernel releases it when the holder dies, so it never goes stale. */
const LOCK_SOCKET_NAME = '\0tessera-pcsc-integration-test';
/** Marks the reader.conf directory of a pcscd this harness started. */
const CONFIG_DIRECTORY_PREFIX = 'tessera-pcsc-';
const PCSCD_SOCKET_PATH = '/run/pcscd/pcscd.comm';
const PCSCD_PID_PATH = '/run/pcscd/pcscd.pid';
const SYSTEM_READER_CONFIG_DIRECTORY = '/etc/reader.conf.d';
const VPCD_DRIVER_CANDIDATES = [
  '/usr/lib/pcsc/drivers/serial/libifdvpcd.so',
  '/usr/lib/x86_64-linux-gnu/pcsc/drivers/serial/libifdvpcd.so',
  '/usr/lib/aarch64-linux-gnu/pcsc/drivers/serial/libifdvpcd.so',
  '/usr/local/lib/pcsc/drivers/serial/libifdvpcd.so',
];
const SYSTEM_DIRECTORIES = ['/usr/sbin', '/sbin', '/usr/local/sbin'];

export interface PcscTools {
  readonly pcscd: string;
  readonly vpcdDriver: string;
  readonly openscTool: string;
  readonly scriptor: string;
}

function findExecutable(name: string): string | undefined {
  const directories = [...(process.env['PATH'] ?? '').split(delimiter), ...SYSTEM_DIRECTORIES];
  for (const directory of directories) {
    if (directory.length === 0) continue;
    const candidate = join(directory, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** LIBPATH of the vpcd entry the package installed, wherever the distribution puts drivers. */
function systemVpcdDriverPath(): string | undefined {
  try {
    return /LIBPATH\s+(\S*libifdvpcd\S*)/.exec(readFileSync(join(SYSTEM_READER_CONFIG_DIRECTORY, 'vpcd'), 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** The tools, or the list of what is missing (with the Debian package that provides it). */
export function findPcscTools(): { readonly tools: PcscTools } | { readonly missing: readonly string[] } {
  const pcscd = findExecutable('pcscd');
  const vpcdDriver = [systemVpcdDriverPath(), ...VPCD_DRIVER_CANDIDATES].find((path) => path !== undefined && existsSync(path));
  const openscTool = findExecutable('opensc-tool');
  const scriptor = findExecutable('scriptor');
  if (pcscd !== undefined && vpcdDriver !== undefined && openscTool !== undefined && scriptor !== undefined) {
    return { tools: { pcscd, vpcdDriver, openscTool, scriptor } };
  }
  const missing: string[] = [];
  if (pcscd === undefined) missing.push('pcscd (package pcscd)');
  if (vpcdDriver === undefined) missing.push('libifdvpcd.so (package vsmartcard-vpcd)');
  if (openscTool === undefined) missing.push('opensc-tool (package opensc)');
  if (scriptor === undefined) missing.push('scriptor (package pcsc-tools)');
  return { missing };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits (bounded) until no other process holds the PC/SC test lock, then holds it. */
export async function acquirePcscLock(): Promise<{ release(): Promise<void> }> {
  const deadline = Date.now() + LOCK_WAIT_MS_MAX;
  for (;;) {
    const server = createServer();
    const outcome = await new Promise<Server | Error>((resolve) => {
      server.once('error', (error) => resolve(error));
      server.listen(LOCK_SOCKET_NAME, () => resolve(server));
    });
    if (!(outcome instanceof Error)) {
      return { release: () => new Promise<void>((resolve) => outcome.close(() => resolve())) };
    }
    if ((outcome as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw outcome;
    if (Date.now() > deadline) throw new Error(`another PC/SC test held the lock for more than ${LOCK_WAIT_MS_MAX} ms`);
    await sleep(POLL_INTERVAL_MS);
  }
}

/** A TCP port p such that p and p + 1 were both free (vpcd listens on one port per slot). */
export async function findFreePortPair(): Promise<number> {
  const listenOn = (port: number): Promise<Server | undefined> =>
    new Promise((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(undefined));
      server.listen({ port, host: '0.0.0.0', exclusive: true }, () => resolve(server));
    });
  const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));
  for (let attempt = 0; attempt < 20; attempt++) {
    const first = await listenOn(0);
    if (first === undefined) continue;
    const address = first.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const second = port > 0 && port < 0xffff ? await listenOn(port + 1) : undefined;
    await close(first);
    if (second !== undefined) {
      await close(second);
      return port;
    }
  }
  throw new Error('no free pair of TCP ports found');
}

export interface ToolResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a tool with a hard timeout; never throws for a non-zero exit. */
export function runTool(file: string, args: readonly string[], input?: string): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { timeout: TOOL_RUN_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 4 * 1024 * 1024, env: clientEnvironment() },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr: error !== null && code === null ? `${stderr}\n${error.message}` : stderr });
      },
    );
    // A tool that exits without reading its input makes the write fail with EPIPE; the exit code
    // and output already say what happened.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

/** The environment for PC/SC clients: the default daemon socket, quiet OpenSC. */
function clientEnvironment(): NodeJS.ProcessEnv {
  const environment = { ...process.env };
  delete environment['PCSCLITE_CSOCK_NAME'];
  return environment;
}

export interface ReaderListing {
  /** The reader number tools take (`opensc-tool -r N`). */
  readonly index: number;
  readonly cardPresent: boolean;
  /** Everything after the card column: the features column (often empty), then the name. */
  readonly text: string;
}

/** `opensc-tool -l`: a header "Nr.  Card  Features  Name", then one line per reader. */
export function parseOpenscReaderList(stdout: string): ReaderListing[] {
  const readers: ReaderListing[] = [];
  for (const line of stdout.split('\n')) {
    const match = /^\s*(\d+)\s+(Yes|No|\?)\s+(.+?)\s*$/.exec(line);
    if (match === null) continue;
    readers.push({ index: Number(match[1]), cardPresent: match[2] === 'Yes', text: match[3] as string });
  }
  return readers;
}

export function findReader(readers: readonly ReaderListing[], name: string): ReaderListing | undefined {
  return readers.find((reader) => reader.text === name || reader.text.endsWith(` ${name}`));
}

export async function listReaders(tools: PcscTools): Promise<ReaderListing[]> {
  const result = await runTool(tools.openscTool, ['-l']);
  return parseOpenscReaderList(result.stdout);
}

/** Polls `opensc-tool -l` until `predicate` holds; fails after `timeoutMs` with what it last saw. */
export async function waitForReaders(
  tools: PcscTools,
  predicate: (readers: readonly ReaderListing[]) => boolean,
  timeoutMs: number,
  what: string,
): Promise<ReaderListing[]> {
  const deadline = Date.now() + timeoutMs;
  let last: ReaderListing[] = [];
  for (;;) {
    last = await listReaders(tools);
    if (predicate(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; readers seen: ${JSON.stringify(last)}`);
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

/** One response from scriptor's transcript. */
export interface ScriptorExchange {
  readonly command: string;
  readonly response: string;
}

/**
 * Sends APDUs (hex, one per entry) through scriptor in one card session and returns the responses
 * as upper-case hex without spaces. Transcript format (pcsc-tools 1.6): "> CMD" then "< HEX : text",
 * with the response hex wrapped after every 16 bytes.
 */
export async function sendWithScriptor(tools: PcscTools, readerName: string, commands: readonly string[]): Promise<ScriptorExchange[]> {
  const result = await runTool(tools.scriptor, ['-r', readerName, '-p', 'T=1'], `${commands.join('\n')}\n`);
  if (result.code !== 0) throw new Error(`scriptor exited with ${String(result.code)}: ${result.stderr}${result.stdout}`);
  const exchanges: ScriptorExchange[] = [];
  let command: string | undefined;
  let response = '';
  for (const line of result.stdout.split('\n')) {
    if (line.startsWith('> ')) {
      command = line.slice(2).replace(/\s+/g, '').toUpperCase();
      response = '';
      continue;
    }
    if (command === undefined) continue;
    const body = line.startsWith('< ') ? line.slice(2) : line;
    const end = body.indexOf(' : ');
    response += (end >= 0 ? body.slice(0, end) : body).replace(/\s+/g, '');
    if (end >= 0) {
      exchanges.push({ command, response: response.toUpperCase() });
      command = undefined;
    }
  }
  return exchanges;
}

/**
 * `opensc-tool -r N -c default -s APDU...`: the responses it prints as "Received (SW1=0x90,
 * SW2=0x00)" followed by a hex dump, returned as upper-case hex of data + SW.
 */
export async function sendWithOpensc(tools: PcscTools, readerIndex: number, commands: readonly string[]): Promise<string[]> {
  const args = ['-r', String(readerIndex), '-c', 'default'];
  for (const command of commands) args.push('-s', command);
  const result = await runTool(tools.openscTool, args);
  if (result.code !== 0) throw new Error(`opensc-tool exited with ${String(result.code)}: ${result.stderr}${result.stdout}`);
  const responses: string[] = [];
  let current: { sw: string; data: string } | undefined;
  for (const line of result.stdout.split('\n')) {
    const received = /^Received \(SW1=0x([0-9A-Fa-f]{2}), SW2=0x([0-9A-Fa-f]{2})\)/.exec(line);
    if (received !== null) {
      if (current !== undefined) responses.push(current.data + current.sw);
      current = { sw: `${received[1]}${received[2]}`.toUpperCase(), data: '' };
      continue;
    }
    if (line.startsWith('Sending:')) {
      if (current !== undefined) responses.push(current.data + current.sw);
      current = undefined;
      continue;
    }
    // Hex dump lines: "6F 10 84 08 ... 9F 65 01 FF  o....Q....." (at most 16 bytes, then ASCII).
    const dump = /^((?:[0-9A-F]{2} ){1,16})/.exec(line);
    if (current !== undefined && dump !== null) current.data += (dump[1] as string).replace(/\s+/g, '');
  }
  if (current !== undefined) responses.push(current.data + current.sw);
  return responses;
}

/** A pcscd for the test: one this harness started (and will stop), or the system's. */
/** Runs a step and adds pcscd's recent log to its failure, since that is where PC/SC problems explain themselves. */
export async function withPcscDiagnostics<T>(daemon: PcscDaemon | undefined, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    const tail = daemon?.logTail() ?? '';
    if (tail.length > 0 && error instanceof Error) error.message += `\n--- pcscd log (last lines) ---\n${tail}`;
    throw error;
  }
}

export interface PcscDaemon {
  /** vpcd's TCP port for slot 0. */
  readonly vpcdPort: number;
  /** PC/SC name of slot 0's reader. */
  readonly readerName: string;
  readonly owned: boolean;
  /** The last lines pcscd logged (owned daemons only), for failure messages. */
  logTail(): string;
  stop(): Promise<void>;
}

function runningPcscdPid(): number | undefined {
  if (!existsSync(PCSCD_SOCKET_PATH)) return undefined;
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(PCSCD_PID_PATH, 'utf8').trim(), 10);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

interface VpcdReaderConfig {
  readonly friendlyName: string;
  readonly port: number;
}

/** Finds a vpcd entry in a reader.conf.d directory: DEVICENAME /dev/null:PORT (ifd-vpcd.c). */
function readVpcdConfig(directory: string): VpcdReaderConfig | undefined {
  let entries: string[];
  try {
    entries = readdirSync(directory);
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    let text: string;
    try {
      text = readFileSync(join(directory, entry), 'utf8');
    } catch {
      continue;
    }
    if (!/LIBPATH\s+\S*libifdvpcd/.test(text)) continue;
    const friendlyName = /FRIENDLYNAME\s+"([^"]+)"/.exec(text)?.[1] ?? 'Virtual PCD';
    const device = /DEVICENAME\s+\S*?:(\S+)/.exec(text)?.[1];
    const port = device === undefined ? 0x8c7b : Number(device);
    if (Number.isInteger(port) && port > 0 && port < 0xffff) return { friendlyName, port };
  }
  return undefined;
}

function configDirectoryOf(pid: number): string {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const index = argv.findIndex((arg) => arg === '-c' || arg === '--config');
    if (index >= 0 && argv[index + 1] !== undefined) return argv[index + 1] as string;
  } catch {
    // not readable: assume the default
  }
  return SYSTEM_READER_CONFIG_DIRECTORY;
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await sleep(POLL_INTERVAL_MS);
  }
  return false;
}

/**
 * A running pcscd with vpcd is reused (its reader.conf gives the port and reader name). A pcscd
 * left behind by a killed run of this test exits by itself (it was started with --auto-exit), so
 * it is waited for. Otherwise a private pcscd is started in the foreground with its own
 * reader.conf.d: vpcd on a free port pair and a reader name no real reader has.
 */
export async function startOrReusePcscd(tools: PcscTools): Promise<PcscDaemon> {
  let runningPid = runningPcscdPid();
  if (runningPid === undefined && existsSync(PCSCD_SOCKET_PATH)) {
    // Under systemd the socket exists before pcscd does (socket activation): a first client starts
    // it. Without systemd the socket is stale, the client fails fast, and pcscd replaces it.
    await listReaders(tools);
    runningPid = runningPcscdPid();
  }
  if (runningPid !== undefined) {
    const directory = configDirectoryOf(runningPid);
    const config = readVpcdConfig(directory);
    if (config !== undefined) {
      return { vpcdPort: config.port, readerName: `${config.friendlyName} 00 00`, owned: false, logTail: () => '', stop: () => Promise.resolve() };
    }
    if (!directory.includes(CONFIG_DIRECTORY_PREFIX)) {
      throw new Error(`pcscd (pid ${runningPid}) is running without the vpcd driver in ${directory}; stop it or add vpcd to its reader.conf.d`);
    }
    if (!(await waitForExit(runningPid, LOCK_WAIT_MS_MAX))) {
      throw new Error(`a pcscd left by an earlier test run (pid ${runningPid}) did not exit`);
    }
  }
  return startOwnPcscd(tools);
}

/** Config directories of earlier runs that were killed before their cleanup; called with no pcscd running. */
async function removeStaleConfigDirectories(): Promise<void> {
  for (const entry of readdirSync(tmpdir())) {
    if (entry.startsWith(CONFIG_DIRECTORY_PREFIX)) await rm(join(tmpdir(), entry), { recursive: true, force: true });
  }
}

async function startOwnPcscd(tools: PcscTools): Promise<PcscDaemon> {
  await removeStaleConfigDirectories();
  const directory = await mkdtemp(join(tmpdir(), CONFIG_DIRECTORY_PREFIX));
  const port = await findFreePortPair();
  const friendlyName = 'Tessera Test VPCD';
  // Same shape as Debian's /etc/reader.conf.d/vpcd, with our port (ifd-vpcd.c reads the port
  // after the colon of DEVICENAME; slot n listens on port + n).
  await writeFile(
    join(directory, 'vpcd'),
    `FRIENDLYNAME "${friendlyName}"\nDEVICENAME   /dev/null:${port}\nLIBPATH      ${tools.vpcdDriver}\nCHANNELID    ${port}\n`,
  );
  const help = await runTool(tools.pcscd, ['--help']);
  // pcsc-lite 2.x built with polkit refuses clients when no polkit daemon runs (containers).
  const polkit = `${help.stdout}${help.stderr}`.includes('disable-polkit') ? ['--disable-polkit'] : [];
  const args = ['--foreground', '--auto-exit', '--debug', '--config', directory, ...polkit];
  const child: ChildProcess = spawn(tools.pcscd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const collect = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.length === 0) continue;
      lines.push(line);
      if (lines.length > PCSCD_LOG_LINES_MAX) lines.shift();
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A last resort if the test process ends without running its cleanup.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let stopped = false;
  return {
    vpcdPort: port,
    readerName: `${friendlyName} 00 00`,
    owned: true,
    logTail: () => lines.join('\n'),
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), PCSCD_STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * Time one APDU may take through scriptor, pcscd, vpcd and the bridge. The card answers in
 * milliseconds, but each command reaches it about 45 ms late: Debian's vpcd (vsmartcard 3.3) sends
 * the 2-byte length and the APDU in two send() calls without TCP_NODELAY, so Nagle holds the APDU
 * until the receiver's delayed ACK of the length.
 */
export const SCRIPTOR_EXCHANGE_TIMEOUT_MS = 10_000;
/** Time scriptor gets to connect to the card, and to disconnect and exit after "exit". */
export const SCRIPTOR_SESSION_START_TIMEOUT_MS = TOOL_RUN_TIMEOUT_MS;
/** scriptor output kept for failure messages. */
const SCRIPTOR_TRANSCRIPT_LINES_MAX = 40;

/** One long-running scriptor: one PC/SC connection (SCardConnect once), commands sent as they are decided. */
export interface ScriptorSession {
  /** What scriptor reported after connecting: "T=0", "T=1" or "unknown". */
  readonly protocol: string;
  /**
   * Sends one command APDU (hex, no spaces) and resolves with the card's response as upper-case
   * hex, data then SW. One command at a time: the next may depend on this response.
   */
  transmit(commandHex: string): Promise<string>;
  /** Sends "exit" (scriptor disconnects with SCARD_LEAVE_CARD) and waits, bounded, for it to end. */
  close(): Promise<ToolResult>;
}

/**
 * Starts `scriptor -u -r READER` reading commands from a pipe. pcsc-tools 1.6 scriptor reads its
 * input line by line (Perl `while (<STDIN>)`) and Transmits each line as soon as it arrives, so the
 * host can compute a command from the previous response (SCP03's EXTERNAL AUTHENTICATE from the
 * INITIALIZE UPDATE response) inside one card connection. `-u` makes its stdout unbuffered;
 * without it Perl block-buffers a pipe and no response would arrive before exit.
 *
 * Transcript format: "Using T=1 protocol" once connected, then per command "> CMD" and
 * "< HEX : text" with the response hex wrapped after every 16 bytes (see sendWithScriptor).
 * Input lines are restricted to hex: scriptor treats any line containing "exit" or "reset", a
 * trailing "\" and a leading "#" specially.
 */
export function openScriptorSession(tools: PcscTools, readerName: string): Promise<ScriptorSession> {
  const child = spawn(tools.scriptor, ['-u', '-r', readerName], { stdio: ['pipe', 'pipe', 'pipe'], env: clientEnvironment() });
  const transcript: string[] = [];
  let stderr = '';
  let partialLine = '';
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('close', (code) => {
      exitCode = code;
      resolve();
    }),
  );
  // A last resort if the test process ends without closing the session.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);

  let connected: { resolve(protocol: string): void; reject(error: Error): void } | undefined;
  let pending: { command: string; resolve(response: string): void; reject(error: Error): void; timer: NodeJS.Timeout } | undefined;
  let echoedCommand: string | undefined;
  let responseHex = '';

  const withTranscript = (what: string): Error =>
    new Error(`${what}\n--- scriptor stderr ---\n${stderr}--- scriptor stdout (last lines) ---\n${transcript.join('\n')}`);
  const failAll = (error: Error): void => {
    connected?.reject(error);
    connected = undefined;
    if (pending !== undefined) {
      clearTimeout(pending.timer);
      pending.reject(error);
      pending = undefined;
    }
  };

  const onLine = (line: string): void => {
    transcript.push(line);
    if (transcript.length > SCRIPTOR_TRANSCRIPT_LINES_MAX) transcript.shift();
    const protocol = /^Using (?:(T=[01])|an unknown) protocol/.exec(line);
    if (protocol !== null) {
      connected?.resolve(protocol[1] ?? 'unknown');
      connected = undefined;
      return;
    }
    if (line.startsWith('> ')) {
      echoedCommand = line.slice(2).replace(/\s+/g, '').toUpperCase();
      responseHex = '';
      return;
    }
    if (echoedCommand === undefined) return;
    const body = line.startsWith('< ') ? line.slice(2) : line;
    const end = body.indexOf(' : ');
    responseHex += (end >= 0 ? body.slice(0, end) : body).replace(/\s+/g, '').toUpperCase();
    if (end < 0) return;
    const command = echoedCommand;
    echoedCommand = undefined;
    const current = pending;
    if (current === undefined) return failAll(withTranscript(`scriptor answered ${command} that nobody sent`));
    pending = undefined;
    clearTimeout(current.timer);
    if (command !== current.command) return current.reject(withTranscript(`scriptor echoed ${command}, expected ${current.command}`));
    current.resolve(responseHex);
  };

  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (partialLine + chunk.toString('utf8')).split('\n');
    partialLine = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 64 * 1024) stderr += chunk.toString('utf8');
  });
  // Writes after scriptor died fail with EPIPE; the 'close' handler reports the exit instead.
  child.stdin.on('error', () => undefined);
  child.once('error', (error) => failAll(withTranscript(`scriptor could not run: ${error.message}`)));
  void exited.then(() => {
    process.removeListener('exit', killOnExit);
    failAll(withTranscript(`scriptor exited with ${String(exitCode)}`));
  });

  const transmit = (commandHex: string): Promise<string> => {
    const command = commandHex.toUpperCase();
    if (!/^(?:[0-9A-F]{2})+$/.test(command)) return Promise.reject(new Error(`not a hex APDU: ${commandHex}`));
    if (pending !== undefined) return Promise.reject(new Error('one command at a time: await the previous response'));
    if (exitCode !== undefined) return Promise.reject(withTranscript(`scriptor has exited with ${String(exitCode)}`));
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        failAll(withTranscript(`no response to ${command} within ${SCRIPTOR_EXCHANGE_TIMEOUT_MS} ms`));
      }, SCRIPTOR_EXCHANGE_TIMEOUT_MS);
      pending = { command, resolve, reject, timer };
      child.stdin.write(`${command}\n`);
    });
  };
  const close = async (): Promise<ToolResult> => {
    if (exitCode === undefined) {
      child.stdin.end('exit\n');
      const timer = setTimeout(() => child.kill('SIGKILL'), SCRIPTOR_SESSION_START_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    return { code: exitCode ?? null, stdout: transcript.join('\n'), stderr };
  };

  return new Promise<ScriptorSession>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      failAll(withTranscript(`scriptor did not connect to "${readerName}" within ${SCRIPTOR_SESSION_START_TIMEOUT_MS} ms`));
    }, SCRIPTOR_SESSION_START_TIMEOUT_MS);
    connected = {
      resolve: (protocol) => {
        clearTimeout(timer);
        resolve({ protocol, transmit, close });
      },
      reject: (error) => {
        clearTimeout(timer);
        reject(error);
      },
    };
  });
}
