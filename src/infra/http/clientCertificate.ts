import { TLSSocket } from 'node:tls';
import type { PeerCertificate } from 'node:tls';
import type { FastifyRequest } from 'fastify';

/**
 * The client's certificate on a mutual-TLS connection, only when it was verified against the
 * server's `ca`; undefined on plain HTTP, without a certificate, or when verification was off.
 */
export function getVerifiedClientCertificate(request: FastifyRequest): PeerCertificate | undefined {
  const socket = request.raw.socket;
  if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
  const certificate = socket.getPeerCertificate();
  return Object.keys(certificate).length === 0 ? undefined : certificate;
}
