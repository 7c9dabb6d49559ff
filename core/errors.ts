/** Errors a user can act on: each names the file, row, field or plugin and what was expected. */
export class XferError extends Error {
  override name = "XferError";
}

/** Bad configuration or input data; `where` is the file (and row/field) it came from. */
export class InputError extends XferError {
  override name = "InputError";
  constructor(readonly where: string, message: string, options?: ErrorOptions) {
    super(`${where}: ${message}`, options);
  }
}

/** Bad input to a statistic; `where` is the function. Analyses add the table and task it ran on. */
export class StatisticsError extends InputError {
  override name = "StatisticsError";
}

/**
 * Runs `compute`; a StatisticsError it throws is thrown again with `context` in front, so the
 * message names the table (file) and the task the statistic was computed on, not only the function.
 */
export function withStatisticsContext<T>(context: string, compute: () => T): T {
  try {
    return compute();
  } catch (error) {
    // An InputError, no longer a StatisticsError: an enclosing context does not prefix it again.
    if (error instanceof StatisticsError) throw new InputError(context, error.message, { cause: error });
    throw error;
  }
}

export class UnknownNameError extends XferError {
  override name = "UnknownNameError";
  constructor(readonly what: string, readonly requested: string, readonly valid: readonly string[]) {
    super(`unknown ${what} "${requested}"; valid ${what} names: ${[...valid].sort().join(", ") || "(none registered)"}`);
  }
}

/**
 * A run stopped at a step boundary because its worker was asked to stop (a signal) or lost its
 * claim: its last completed epoch's resume state is kept, so nothing is lost but the partial epoch.
 */
export class RunStopped extends XferError {
  override name = "RunStopped";
  constructor(readonly runId: string, readonly epochsDone: number, readonly reason: "signal" | "claim-lost") {
    super(`run ${runId} stopped after ${epochsDone} completed epoch(s) (${reason === "signal" ? "asked to stop" : "its claim was taken over by another worker"})`);
  }
}
