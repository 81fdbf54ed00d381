import { StatusWord } from '../../lib/status-words.js';
import { constructedNode, decodeTLV, encodeTLV, primitiveNode, type TLVNode } from '../../lib/tlv/index.js';
import type { Applet, AppletCommand, AppletContext, AppletResponse } from '../../card/types.js';
import { EMV_INS, EMV_TAG, PPSE_ENTRIES_MAX } from './constants.js';

/**
 * The Proximity Payment System Environment (EMV Contactless Book B §3.3): SELECT "2PAY.SYS.DDF01"
 * answers an FCI whose 'BF0C' lists the payment applications on the device, each as a '61'
 * directory entry with its AID ('4F'), label ('50') and priority ('87'). The kernel picks one and
 * selects it. The list comes from personalization: a STORE DATA block holding a 'BF0C' template
 * replaces it whole.
 */

const DIRECTORY_ENTRY = 'directory';

function isValidEntry(entry: TLVNode): boolean {
  if (entry.tag !== EMV_TAG.directoryEntry || !entry.constructed) return false;
  const aids = entry.children.filter((child) => child.tag === EMV_TAG.adfName && !child.constructed);
  const aid = aids[0];
  return aids.length === 1 && aid !== undefined && !aid.constructed && aid.value.length >= 5 && aid.value.length <= 16;
}

/** A valid 'BF0C' directory template, encoded, or undefined. */
function directoryOf(data: Uint8Array): Uint8Array | undefined {
  if (data.length === 0) return undefined;
  let nodes: TLVNode[];
  try {
    nodes = decodeTLV(data, { padding: 'reject', lengths: 'minimal', depthMax: 4 });
  } catch {
    return undefined;
  }
  const [template] = nodes;
  if (nodes.length !== 1 || template === undefined || template.tag !== EMV_TAG.fciIssuerDiscretionary || !template.constructed) return undefined;
  if (template.children.length === 0 || template.children.length > PPSE_ENTRIES_MAX || !template.children.every(isValidEntry)) return undefined;
  return encodeTLV([template]);
}

export function createPPSEApplet(): Applet {
  return {
    process(command: AppletCommand, context: AppletContext): AppletResponse {
      if (command.ins !== EMV_INS.select || (command.cla & 0xfc) !== 0x00) {
        return { sw: command.ins === EMV_INS.select ? StatusWord.classNotSupported : StatusWord.instructionNotSupported };
      }
      const directory = context.store.get(DIRECTORY_ENTRY) ?? directoryOf(context.installParameters);
      // A PPSE that lists nothing is "not found" to a kernel, which then falls back or stops.
      if (directory === undefined) return { sw: StatusWord.fileOrApplicationNotFound };
      const fci = encodeTLV([constructedNode(EMV_TAG.fciTemplate, [
        primitiveNode(EMV_TAG.dfName, context.aid),
        constructedNode(EMV_TAG.fciProprietary, decodeTLV(directory)),
      ])]);
      return { data: fci, sw: StatusWord.noError };
    },
    personalize(data: Uint8Array, context: AppletContext): number {
      const directory = directoryOf(data);
      if (directory === undefined) return StatusWord.incorrectData;
      context.store.set(DIRECTORY_ENTRY, directory);
      return StatusWord.noError;
    },
  };
}
