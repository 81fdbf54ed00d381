// A minimal declaration of the parts of the `smpp` package (0.5.x, untyped) that Tessera uses:
// the PDU codec and its command table, and the client Session (tests use it as an independent ESME).
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';

  export interface PDUFields {
    [field: string]: unknown;
    sequence_number?: number;
    command_status?: number;
  }

  export class PDU {
    constructor(command: string, options?: PDUFields);
    constructor(buffer: Buffer);
    static maxLength: number;
    command: string;
    command_id: number;
    command_status: number;
    sequence_number: number;
    [field: string]: unknown;
    isResponse(): boolean;
    response(options?: PDUFields): PDU;
    toBuffer(): Buffer;
  }

  export class Session extends EventEmitter {
    send(pdu: PDU, responseCallback?: (pdu: PDU) => void): boolean;
    bind_transmitter(options: PDUFields, callback?: (pdu: PDU) => void): boolean;
    bind_receiver(options: PDUFields, callback?: (pdu: PDU) => void): boolean;
    bind_transceiver(options: PDUFields, callback?: (pdu: PDU) => void): boolean;
    submit_sm(options: PDUFields, callback?: (pdu: PDU) => void): boolean;
    enquire_link(options?: PDUFields | ((pdu: PDU) => void), callback?: (pdu: PDU) => void): boolean;
    unbind(options?: PDUFields | ((pdu: PDU) => void), callback?: (pdu: PDU) => void): boolean;
    query_sm(options: PDUFields, callback?: (pdu: PDU) => void): boolean;
    close(callback?: () => void): void;
    destroy(callback?: () => void): void;
  }

  /** The package is CommonJS: Node hands its module.exports to ESM as the default export. */
  const smpp: {
    readonly PDU: typeof PDU;
    readonly Session: typeof Session;
    connect(options: { host: string; port: number }, listener?: () => void): Session;
    readonly commands: Readonly<Record<string, { readonly id: number } | undefined>>;
    readonly commandsById: Readonly<Record<number, { readonly command: string } | undefined>>;
    readonly errors: Readonly<Record<string, number>>;
  };
  export default smpp;
}
