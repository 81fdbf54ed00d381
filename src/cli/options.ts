import { InvalidArgumentError } from 'commander';

/** Commander parser for a TCP port to listen on: 0-65535 (0 picks a free one). */
export function portOption(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) throw new InvalidArgumentError('expected a port number 0-65535');
  return parsed;
}

/** Commander parser for an address to connect to: HOST:PORT with a port 1-65535. */
export function hostPortOption(value: string): { host: string; port: number } {
  const match = /^(.+):([0-9]{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (match?.[1] === undefined || !Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError('expected HOST:PORT');
  return { host: match[1], port };
}
