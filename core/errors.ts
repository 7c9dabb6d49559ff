/** Errors a user can act on: each names the file, row, field or plugin and what was expected. */
export class XferError extends Error {
  override name = "XferError";
}

/** Bad configuration or input data; `where` is the file (and row/field) it came from. */
export class InputError extends XferError {
  override name = "InputError";
  constructor(readonly where: string, message: string) {
    super(`${where}: ${message}`);
  }
}

export class UnknownNameError extends XferError {
  override name = "UnknownNameError";
  constructor(readonly what: string, readonly requested: string, readonly valid: readonly string[]) {
    super(`unknown ${what} "${requested}"; valid ${what} names: ${[...valid].sort().join(", ") || "(none registered)"}`);
  }
}
