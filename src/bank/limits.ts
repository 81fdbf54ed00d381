/** The bank's limits, each a named constant with its unit last (CONVENTIONS: a limit on everything). */

/** An ATC more than this far above the high-water mark is refused: a card cannot have run that many offline transactions. */
export const ATC_WINDOW_MAX = 100;
/** The ATC is two bytes (EMV Book 3 §A, tag 9F36). */
export const ATC_MAX = 0xffff;
/** Defaults for a new card's limits when the issuer names none. */
export const CARD_TRANSACTION_LIMIT_MINOR_DEFAULT = 500_00n;
export const CARD_DAILY_LIMIT_MINOR_DEFAULT = 2_000_00n;
export const CARD_DAILY_COUNT_MAX_DEFAULT = 20;
/** Largest per-card daily count an issuer may set. */
export const CARD_DAILY_COUNT_MAX = 10_000;
/** Refunds of one authorization, after which more are refused (bounds the rows an audit reads per authorization). */
export const REFUNDS_PER_AUTHORIZATION_MAX = 100;
/** Merchants one clearing entry may carry per currency (one clearing entry per currency per business date). */
export const CLEARING_MERCHANTS_PER_ENTRY_MAX = 10_000;
/** Entries one clearing run may clear; a busier day needs a second run, which picks up the rest. */
export const CLEARING_ENTRIES_MAX = 100_000;
/** Findings an audit lists per invariant; the count is still exact. */
export const AUDIT_FINDINGS_PER_CHECK_MAX = 50;
/** Characters of a customer or merchant name. */
export const NAME_LENGTH_MAX = 200;
/** Authorization code (ISO 8583 field 38, an 6): upper-case letters and digits from the CSPRNG. */
export const AUTHORIZATION_CODE_LENGTH = 6;
/**
 * Rounds of inTransaction (each up to TRANSACTION_ATTEMPTS_MAX attempts) one authorization gets
 * before it answers 91 "issuer unavailable" under contention on one account.
 */
export const AUTHORIZATION_ROUNDS_MAX = 3;
/**
 * Authorizations one group-commit batch carries (docs/bank.md "Group commit"): one
 * transaction and one COMMIT (one WAL flush) for all of them. Bounds the statement sizes too
 * (the authorizations insert binds about 20 parameters per row).
 */
export const AUTHORIZATION_BATCH_SIZE_MAX = 256;
/**
 * Authorizations a batch takes by default: large enough that the COMMIT and the round trips are
 * shared widely, small enough that with more waiting a second lane fills (AUTHORIZATION_LANES)
 * and overlaps the first (docs/bank.md "Group commit", measured there).
 */
export const AUTHORIZATION_BATCH_SIZE = 64;
/**
 * Batches of one bank service running at once (docs/bank.md "Group commit"): while one waits for
 * its COMMIT, the next is read and decided. Each holds a pool connection while it runs.
 */
export const AUTHORIZATION_LANES = 2;
export const AUTHORIZATION_LANES_MAX = 8;
/** Requests waiting for a batch; beyond this the issuer sheds load and answers 91 at once. */
export const AUTHORIZATION_QUEUE_LENGTH_MAX = 10_000;
/**
 * Attempts of a whole batch on a conflict (a deadlock broken by the server) before it is split in halves, each half
 * then getting as many again; a single authorization finally gets AUTHORIZATION_ROUNDS_MAX rounds.
 */
export const AUTHORIZATION_BATCH_ATTEMPTS_MAX = 3;
