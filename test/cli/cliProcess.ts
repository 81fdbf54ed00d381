import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** `tessera` as a user runs it: a child process of bin/tessera.js. */
export const CLI = new URL('../../bin/tessera.js', import.meta.url).pathname;
export const START_TIMEOUT_MS = 60_000;

export interface UpLine {
  version: string;
  database: { dialect: string };
  start: { number: number };
  services: { service: string; state: string; url?: string }[];
  demo: { deviceDirectory: string; finger: string; msisdn: string; panLastFour: string; identityCode: string; password: string; gatewayMerchantFile: string } | null;
}

/** Every `tessera up` port, 0: the system picks free ones (tests run side by side). */
export const UP_FREE_PORTS = [
  '--console-port', '0', '--tsm-port', '0', '--tsm-ota-port', '0', '--issuer-port', '0', '--acquirer-port', '0', '--smpp-port', '0', '--handset-port', '0',
  '--gateway-port', '0', '--checkout-port', '0',
] as const;

/** Runs a `tessera` command to its end; answers its exit code and output. */
export async function run(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stdout, stderr };
}

/**
 * Starts a long-running `tessera` command and waits until `ready` has picked what it needs out of
 * its stdout lines (or it exits, or the start times out); `stop` sends Ctrl-C and answers the exit code.
 */
export async function startCommand<T>(args: readonly string[], env: NodeJS.ProcessEnv, ready: (line: string) => T | undefined): Promise<{ value: T; stop(): Promise<number | null> }> {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout });
  const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
  try {
    const value = await new Promise<T>((resolve, reject) => {
      lines.on('line', (line) => {
        const found = ready(line);
        if (found !== undefined) resolve(found);
      });
      void exited.then((code) => reject(new Error(`tessera ${args[0] ?? ''} exited with ${code}: ${stderr}`)));
    });
    // Keep draining stdout (a full pipe would stall the child's logger).
    child.stdout.resume();
    return {
      value,
      stop: async () => {
        child.kill('SIGINT');
        return exited;
      },
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `tessera up --json` as a user would, reads its table line, and returns a way to stop it. */
export async function startUp(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ table: UpLine; stop(): Promise<number | null> }> {
  const started = await startCommand(['up', '--json', ...UP_FREE_PORTS, ...args], env, (line) => JSON.parse(line) as UpLine);
  return { table: started.value, stop: () => started.stop() };
}

/** `host:port` of a service in `tessera up`'s table (`iso8583://…`, `smpp://…`). */
export function addressOf(table: UpLine, service: string): string {
  const url = table.services.find((row) => row.service === service)?.url ?? '';
  return url.replace(/^[a-z0-9]+:\/\//, '');
}
