import type { Applet, AppletCommand, AppletContext, AppletResponse } from '../../card/types.js';

/**
 * A small applet for exercising the card: it echoes data, keeps a persistent counter, and stores
 * what personalization sends it. Commands use the proprietary class '80':
 *   80 01 00 00 Lc data     ECHO: answers the data back
 *   80 02 00 00 [04 n]      INCREMENT: adds n (default 1) to the counter, answers the new value (4 bytes)
 *   80 03 00 00             READ COUNTER: answers the counter (4 bytes)
 *   80 04 00 00             READ PERSONALIZATION: answers what STORE DATA delivered, concatenated
 * SELECT answers 9000 with no data.
 */
export const ECHO_FIRMWARE_CLASS = 'tessera.test.echo';
export const ECHO_INS = { echo: 0x01, increment: 0x02, readCounter: 0x03, readPersonalization: 0x04 } as const;
/** The counter saturates rather than wraps: a counter that wraps is a replay hole. */
export const ECHO_COUNTER_MAX = 0xffffffff;
const PERSONALIZATION_BYTES_MAX = 1024;

function counterOf(context: AppletContext): number {
  const stored = context.store.get('counter');
  return stored === undefined ? 0 : new DataView(stored.buffer, stored.byteOffset, 4).getUint32(0);
}

function encodeCounter(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value);
  return bytes;
}

export function createEchoApplet(): Applet {
  return {
    process(command: AppletCommand, context: AppletContext): AppletResponse {
      if (command.ins === 0xa4) return { sw: 0x9000 };
      if (command.cla !== 0x80 && (command.cla & 0xfc) !== 0x80) return { sw: 0x6e00 };
      switch (command.ins) {
        case ECHO_INS.echo:
          return { data: command.data.slice(), sw: 0x9000 };
        case ECHO_INS.increment: {
          if (command.data.length !== 0 && command.data.length !== 4) return { sw: 0x6700 };
          const step = command.data.length === 4 ? new DataView(command.data.buffer, command.data.byteOffset, 4).getUint32(0) : 1;
          const next = counterOf(context) + step;
          if (next > ECHO_COUNTER_MAX) return { sw: 0x6985 };
          context.store.set('counter', encodeCounter(next));
          return { data: encodeCounter(next), sw: 0x9000 };
        }
        case ECHO_INS.readCounter:
          return { data: encodeCounter(counterOf(context)), sw: 0x9000 };
        case ECHO_INS.readPersonalization:
          return { data: context.store.get('personalization') ?? new Uint8Array(0), sw: 0x9000 };
        default:
          return { sw: 0x6d00 };
      }
    },
    personalize(data: Uint8Array, context: AppletContext): number {
      const previous = context.store.get('personalization') ?? new Uint8Array(0);
      if (previous.length + data.length > PERSONALIZATION_BYTES_MAX) return 0x6a84;
      const next = new Uint8Array(previous.length + data.length);
      next.set(previous);
      next.set(data, previous.length);
      context.store.set('personalization', next);
      return 0x9000;
    },
  };
}
