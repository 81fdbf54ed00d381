import { TesseraError } from '../../lib/errors.js';
import {
  RAM_TRUNCATED_STATUS_WORD, describeBadFormat, responseContinuesScript, statusWordContinuesScript, trailingStatusWord, type ResponseScript,
} from '../../lib/ram/index.js';
import { OTAErrorCode } from './errors.js';

function invalid(message: string, details: Record<string, unknown> = {}): TesseraError {
  return new TesseraError(OTAErrorCode.responseInvalid, message, { httpStatus: 502, details });
}


/**
 * Verifies an agent's response script against the batch it answers, and returns the responses.
 * The agent is an untrusted relay, so its answer must be what a card running the script would
 * produce (ETSI TS 102 226 §5.2): no Bad format (it parsed our script), one R-APDU per executed
 * command, no more responses than commands, every response but the last a success, and a short
 * answer only when the last response failed or was truncated ('62F1', §5.2.1.1).
 */
export function checkBatchAnswer(expectedCommandCount: number, received: ResponseScript): Uint8Array[] {
  if (received.badFormat !== undefined) {
    throw invalid(`the agent could not parse the command script: Bad format (${describeBadFormat(received.badFormat)})`, {
      badFormat: received.badFormat,
    });
  }
  if (received.immediateActionResponse !== undefined || received.scriptChainingResponse !== undefined) {
    throw invalid('the answer has Immediate Action or Script Chaining responses, but the script had no such objects');
  }
  const responses = [...received.responses];
  if (received.executedCount !== responses.length) {
    throw invalid(`the answer counts ${received.executedCount} executed commands but holds ${responses.length} R-APDUs`);
  }
  if (responses.length === 0 || responses.length > expectedCommandCount) {
    throw invalid(`the answer holds ${responses.length} R-APDUs for a batch of ${expectedCommandCount} commands`);
  }
  const failedEarly = responses.slice(0, -1).findIndex((response) => !responseContinuesScript(response));
  if (failedEarly !== -1) throw invalid(`response ${failedEarly} failed, yet the agent went on with the script`, { index: failedEarly });
  const lastStatusWord = trailingStatusWord(responses[responses.length - 1] as Uint8Array);
  const stoppedShort = responses.length < expectedCommandCount;
  if (stoppedShort && statusWordContinuesScript(lastStatusWord) && lastStatusWord !== RAM_TRUNCATED_STATUS_WORD) {
    throw invalid(`the agent stopped after ${responses.length} of ${expectedCommandCount} commands without a failure`);
  }
  return responses;
}
