import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import smpp, { type PDU } from 'smpp';
import type { Kysely } from 'kysely';
import type { RandomSource } from '../lib/crypto/index.js';
import type { Logger } from '../infra/log/index.js';
import { checkESMECredentials } from './accounts.js';
import type { DeliverSmFields, ESMEDirectory } from './delivery.js';
import { smscError, SmscErrorCode } from './errors.js';
import { SmscLimits } from './limits.js';
import {
  CommandId, CommandStatus, readBind, readHeader, readQuerySm, readSubmitSm, RESPONSE_BIT, SMPPStatusError, SMPP_HEADER_BYTES,
} from './pdu.js';
import { MESSAGE_STATE_VALUE } from './receipt.js';
import type { SmscDatabase } from './schema.js';
import { formatReceiptDate } from './smppTime.js';
import { alertReachable } from './store.js';
import { acceptSubmitSm } from './submit.js';

/** SMPP 3.4 §5.2.4: interface_version 0x34 announced in the sc_interface_version TLV of bind responses. */
const INTERFACE_VERSION = 0x34;
const SEQUENCE_MAX = 0x7fffffff;

type BindType = 'transmitter' | 'receiver' | 'transceiver';
const BIND_COMMANDS: ReadonlyMap<number, BindType> = new Map([
  [CommandId.bindTransmitter, 'transmitter'], [CommandId.bindReceiver, 'receiver'], [CommandId.bindTransceiver, 'transceiver'],
]);

export interface SMPPServerContext {
  readonly db: Kysely<SmscDatabase>;
  readonly random: RandomSource;
  readonly now: () => number;
  readonly logger: Logger;
  /** The SMSC's own system_id, returned in bind responses. */
  readonly systemId: string;
  readonly deliverTimeoutMs: number;
  /** Called when a receiver binds or a message is accepted, so the delivery engine runs soon. */
  readonly onWork: () => void;
}

interface Pending {
  resolve(status: number): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout;
}

/**
 * One ESME connection: SMPP 3.4 framing (command_length first, §3.2), the session states of §2.2
 * (open → bound as transmitter, receiver or transceiver → unbound), requests answered in order,
 * and deliver_sm sent by the SMSC with their responses matched by sequence number.
 */
class SMPPSession {
  private buffered: Buffer = Buffer.alloc(0);
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  private bindType: BindType | undefined;
  systemId: string | undefined;
  private bindFailures = 0;
  private sequence = 0;
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  private readonly bindTimer: NodeJS.Timeout;

  constructor(private readonly socket: Socket, private readonly context: SMPPServerContext, private readonly server: SMPPServer) {
    socket.setNoDelay(true);
    socket.setTimeout(SmscLimits.IDLE_TIMEOUT_MS, () => this.close());
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.onClose());
    this.bindTimer = setTimeout(() => {
      if (this.bindType === undefined) this.close();
    }, SmscLimits.BIND_TIMEOUT_MS);
    this.bindTimer.unref();
  }

  get receives(): boolean {
    return this.bindType === 'receiver' || this.bindType === 'transceiver';
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4 && !this.closed) {
      const length = this.buffered.readUInt32BE(0);
      if (length < SMPP_HEADER_BYTES || length > SmscLimits.SMPP_PDU_BYTES_MAX) {
        // The stream cannot be re-synchronised: answer generic_nack (§4.3) and drop the connection.
        const sequence = this.buffered.length >= SMPP_HEADER_BYTES ? this.buffered.readUInt32BE(12) : 0;
        this.write(new smpp.PDU('generic_nack', { sequence_number: sequence, command_status: CommandStatus.ESME_RINVCMDLEN }));
        this.close();
        return;
      }
      if (this.buffered.length < length) break;
      const pdu = new Uint8Array(this.buffered.subarray(0, length));
      this.buffered = this.buffered.subarray(length);
      this.dispatch(pdu);
    }
    if (this.queued > SmscLimits.SMPP_WINDOW_MAX * 2) this.socket.pause();
  }

  private dispatch(pdu: Uint8Array): void {
    const header = readHeader(pdu);
    if ((header.commandId & RESPONSE_BIT) !== 0) {
      this.onResponse(header.commandId, header.sequenceNumber, header.commandStatus);
      return;
    }
    this.queued++;
    this.chain = this.chain.then(() => this.handle(pdu, header.commandId, header.sequenceNumber)).catch((error: unknown) => {
      this.context.logger.error({ err: error }, 'SMPP request failed');
      const command = smpp.commandsById[header.commandId]?.command;
      this.respond(command === undefined ? 'generic_nack' : `${command}_resp`, header.sequenceNumber, CommandStatus.ESME_RSYSERR);
    }).finally(() => {
      this.queued--;
      if (this.queued <= SmscLimits.SMPP_WINDOW_MAX && this.socket.isPaused()) this.socket.resume();
    });
  }

  private async handle(pdu: Uint8Array, commandId: number, sequence: number): Promise<void> {
    if (this.closed) return;
    const bindType = BIND_COMMANDS.get(commandId);
    try {
      if (bindType !== undefined) return await this.bind(pdu, bindType, sequence);
      switch (commandId) {
        case CommandId.submitSm: return await this.submit(pdu, sequence);
        case CommandId.querySm: return await this.query(pdu, sequence);
        case CommandId.enquireLink:
          return this.respond('enquire_link_resp', sequence, CommandStatus.ESME_ROK);
        case CommandId.unbind:
          if (this.bindType === undefined) return this.respond('unbind_resp', sequence, CommandStatus.ESME_RINVBNDSTS);
          this.respond('unbind_resp', sequence, CommandStatus.ESME_ROK);
          this.unbind();
          this.socket.end();
          return;
        default:
          // Unknown ids and the operations this SMSC does not offer (docs/smsc.md): §4.3 generic_nack.
          return this.respond('generic_nack', sequence, CommandStatus.ESME_RINVCMDID);
      }
    } catch (error) {
      if (!(error instanceof SMPPStatusError)) throw error;
      // A body we could not read is answered with generic_nack; a request we refuse, with its own response.
      const command = smpp.commandsById[commandId]?.command;
      const malformed = error.commandStatus === CommandStatus.ESME_RINVCMDLEN;
      this.respond(malformed || command === undefined ? 'generic_nack' : `${command}_resp`, sequence, error.commandStatus);
    }
  }

  private async bind(pdu: Uint8Array, bindType: BindType, sequence: number): Promise<void> {
    const response = `bind_${bindType}_resp`;
    if (this.bindType !== undefined) return this.respond(response, sequence, CommandStatus.ESME_RALYBND);
    const fields = readBind(pdu);
    const check = await checkESMECredentials(this.context.db, fields.systemId, fields.password);
    if (check !== 'ok') {
      this.bindFailures++;
      this.context.logger.warn({ systemId: fields.systemId, remote: this.socket.remoteAddress }, 'SMPP bind refused');
      this.respond(response, sequence, check === 'unknown-system-id' ? CommandStatus.ESME_RINVSYSID : CommandStatus.ESME_RINVPASWD);
      if (this.bindFailures >= SmscLimits.BIND_ATTEMPTS_MAX) this.socket.end();
      return;
    }
    this.bindType = bindType;
    this.systemId = fields.systemId;
    clearTimeout(this.bindTimer);
    this.write(new smpp.PDU(response, { sequence_number: sequence, system_id: this.context.systemId, sc_interface_version: INTERFACE_VERSION }));
    if (this.receives) {
      this.server.addReceiver(this);
      await alertReachable(this.context.db, 'esme', fields.systemId, this.context.now());
      this.context.onWork();
    }
  }

  private async submit(pdu: Uint8Array, sequence: number): Promise<void> {
    // The body is read first: an unreadable PDU is answered with generic_nack in any state.
    const fields = readSubmitSm(pdu, SmscLimits.MESSAGE_PAYLOAD_BYTES_MAX);
    if (this.systemId === undefined || this.bindType === 'receiver') return this.respond('submit_sm_resp', sequence, CommandStatus.ESME_RINVBNDSTS);
    const { messageId } = await acceptSubmitSm(this.context, this.systemId, fields);
    this.write(new smpp.PDU('submit_sm_resp', { sequence_number: sequence, message_id: messageId }));
    this.context.onWork();
  }

  /** query_sm (SMPP 3.4 §4.8): the state of a message this ESME submitted. */
  private async query(pdu: Uint8Array, sequence: number): Promise<void> {
    if (this.systemId === undefined || this.bindType === 'receiver') return this.respond('query_sm_resp', sequence, CommandStatus.ESME_RINVBNDSTS);
    const { messageId } = readQuerySm(pdu);
    const row = await this.context.db.selectFrom('smsc.messages').select(['id', 'state', 'done_at', 'error_code'])
      .where('id', '=', messageId).where('origin_system_id', '=', this.systemId).where('kind', '=', 'message').executeTakeFirst();
    if (row === undefined) return this.respond('query_sm_resp', sequence, CommandStatus.ESME_RQUERYFAIL);
    this.write(new smpp.PDU('query_sm_resp', {
      sequence_number: sequence, message_id: row.id,
      final_date: row.done_at === null ? '' : `${formatReceiptDate(row.done_at.getTime())}00000+`,
      message_state: MESSAGE_STATE_VALUE[row.state], error_code: row.error_code ?? 0,
    }));
  }

  /** Sends a deliver_sm and resolves with its response's command_status (§4.6). */
  deliverSm(fields: DeliverSmFields): Promise<number> {
    if (this.closed) return Promise.reject(smscError(SmscErrorCode.deliveryFailed, 'the ESME session is closed'));
    this.sequence = this.sequence >= SEQUENCE_MAX ? 1 : this.sequence + 1;
    const sequence = this.sequence;
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(sequence);
        reject(smscError(SmscErrorCode.deliveryFailed, 'no deliver_sm_resp in time'));
      }, this.context.deliverTimeoutMs);
      this.pending.set(sequence, { resolve, reject, timer });
      this.write(new smpp.PDU('deliver_sm', {
        sequence_number: sequence, service_type: '', source_addr: fields.sourceAddr, destination_addr: fields.destinationAddr,
        esm_class: fields.esmClass, data_coding: fields.dataCoding, short_message: Buffer.from(fields.shortMessage),
        ...(fields.receiptedMessageId === undefined ? {} : { receipted_message_id: fields.receiptedMessageId }),
        ...(fields.messageState === undefined ? {} : { message_state: fields.messageState }),
      }));
    });
  }

  private onResponse(commandId: number, sequence: number, status: number): void {
    const pending = this.pending.get(sequence);
    if (pending === undefined) return;
    this.pending.delete(sequence);
    clearTimeout(pending.timer);
    // A generic_nack to our deliver_sm is a refusal like any other non-zero status.
    pending.resolve(commandId === CommandId.genericNack && status === 0 ? CommandStatus.ESME_RSYSERR : status);
  }

  private respond(command: string, sequence: number, status: number): void {
    this.write(new smpp.PDU(command, { sequence_number: sequence, command_status: status }));
  }

  private write(pdu: PDU): void {
    if (!this.closed && this.socket.writable) this.socket.write(pdu.toBuffer());
  }

  private unbind(): void {
    this.server.removeReceiver(this);
    this.bindType = undefined;
    this.systemId = undefined;
  }

  close(): void {
    this.socket.destroy();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.bindTimer);
    this.unbind();
    for (const [sequence, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(smscError(SmscErrorCode.deliveryFailed, `the ESME session closed before answering deliver_sm ${sequence}`));
    }
    this.pending.clear();
    this.server.forget(this);
  }
}

/** The SMPP 3.4 server: one SMPPSession per ESME connection; the ESME directory for the delivery engine. */
export class SMPPServer implements ESMEDirectory {
  private readonly sessions = new Set<SMPPSession>();
  private readonly receivers = new Map<string, SMPPSession[]>();
  private turn = 0;
  private server: Server | undefined;

  constructor(private readonly context: SMPPServerContext) {}

  async listen(host: string, port: number): Promise<number> {
    const server = createServer((socket) => {
      this.sessions.add(new SMPPSession(socket, this.context, this));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return (server.address() as AddressInfo).port;
  }

  addReceiver(session: SMPPSession): void {
    if (session.systemId === undefined) return;
    this.receivers.set(session.systemId, [...(this.receivers.get(session.systemId) ?? []), session]);
  }

  removeReceiver(session: SMPPSession): void {
    if (session.systemId === undefined) return;
    const remaining = (this.receivers.get(session.systemId) ?? []).filter((candidate) => candidate !== session);
    if (remaining.length === 0) this.receivers.delete(session.systemId);
    else this.receivers.set(session.systemId, remaining);
  }

  forget(session: SMPPSession): void {
    this.sessions.delete(session);
  }

  boundReceivers(): readonly string[] {
    return [...this.receivers.keys()];
  }

  deliverSm(systemId: string, fields: DeliverSmFields): Promise<number> {
    // Round robin over the ESME's receiver sessions, so one stuck session does not hold every delivery.
    const sessions = this.receivers.get(systemId) ?? [];
    const session = sessions[this.turn++ % Math.max(1, sessions.length)];
    if (session === undefined) return Promise.reject(smscError(SmscErrorCode.deliveryFailed, `no receiver bound for ${systemId}`));
    return session.deliverSm(fields);
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const session of this.sessions) session.close();
    await closed;
  }
}
