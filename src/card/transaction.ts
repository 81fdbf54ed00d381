import { cloneState, type CardState } from './model.js';

/**
 * One command's view of the card state. Reads see the committed state; the first write makes a
 * private copy, and only a command that succeeds commits it (GP 2.3 §6.7: "atomicity of
 * persistent updates" — a command that fails, or a card torn from the field, leaves no trace).
 */
export class CommandTransaction {
  #committed: CardState;
  #working: CardState | undefined;

  constructor(committed: CardState) {
    this.#committed = committed;
  }

  /** The state as this command sees it (its own writes included). */
  get read(): CardState {
    return this.#working ?? this.#committed;
  }

  /** The state to change; copied on first use. */
  write(): CardState {
    this.#working ??= cloneState(this.#committed);
    return this.#working;
  }

  get changed(): boolean {
    return this.#working !== undefined;
  }

  /** The state to keep after the command. */
  result(success: boolean): CardState {
    return success && this.#working !== undefined ? this.#working : this.#committed;
  }
}
