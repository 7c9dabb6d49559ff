/**
 * What the CLI prints when a command fails: one line naming what failed and where, the stack only
 * with `--verbose` (or XFER_VERBOSE=1). An XferError carries its own words; an OS error is read into
 * words naming the path and the reason; anything else is an internal error, a bug to report.
 */
import { accessSync, constants, statSync } from "node:fs";
import { dirname } from "node:path";
import { XferError } from "../../../../core/errors.ts";

/** Longest message printed for an internal error without --verbose (a library may put a whole tensor in one). */
const MAX_INTERNAL_MESSAGE = 300;

const OS_REASONS: Readonly<Record<string, string>> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "the file system is read-only",
  ENOSPC: "no space left on the device",
  EDQUOT: "the disk quota is used up",
  ENOENT: "no such file or folder",
  EISDIR: "it is a folder, not a file",
  EEXIST: "it already exists",
  ENOTEMPTY: "the folder is not empty",
  EMFILE: "too many open files in this process",
  ENFILE: "too many open files on this system",
  ENAMETOOLONG: "the name is too long",
  EBUSY: "it is busy (in use by another process)",
  ELOOP: "too many levels of symbolic links",
  EXDEV: "it is on another file system",
  EIO: "an input/output error of the device",
};

const ACTIONS: Readonly<Record<string, string>> = {
  mkdir: "create folder", open: "open", read: "read", write: "write", rename: "rename", unlink: "remove", rmdir: "remove folder",
  rm: "remove", scandir: "list folder", opendir: "list folder", stat: "read", lstat: "read", access: "access", copyfile: "copy",
  fsync: "write", fdatasync: "write", ftruncate: "write", close: "close", link: "link", symlink: "link", readlink: "read link",
};

interface OsError extends Error {
  readonly code: string;
  readonly syscall: string;
  readonly path?: string;
  readonly dest?: string;
}

function isOsError(error: unknown): error is OsError {
  return error instanceof Error && typeof (error as Partial<OsError>).code === "string" && typeof (error as Partial<OsError>).syscall === "string";
}

function kindOf(path: string): "folder" | "file" | "missing" {
  try {
    return statSync(path).isDirectory() ? "folder" : "file";
  } catch {
    return "missing";
  }
}

/** The nearest ancestor of `path` that exists (the root always does). */
function nearestExisting(path: string): string {
  let at = dirname(path);
  while (kindOf(at) === "missing" && dirname(at) !== at) at = dirname(at);
  return at;
}

/**
 * Why an OS call on `path` failed, in words. ENOENT and ENOTDIR name the part of the path that is
 * missing or is a file; a recursive mkdir under a folder without write permission reports ENOENT,
 * so that case is told apart by asking whether the nearest existing folder is writable.
 */
function osReason(error: OsError, path: string): string {
  if (error.code === "ENOTDIR") {
    for (let at = path; dirname(at) !== at; at = dirname(at)) {
      if (kindOf(at) === "file") return `${at} is a file, not a folder`;
    }
    return "a part of the path is not a folder";
  }
  if (error.code === "ENOENT") {
    const existing = nearestExisting(path);
    if (kindOf(existing) === "folder" && error.syscall === "mkdir") {
      try {
        accessSync(existing, constants.W_OK);
      } catch {
        return `permission denied: folder ${existing} is not writable`;
      }
    }
    return existing === dirname(path) ? "no such file or folder" : `folder ${dirname(path)} does not exist (${existing} is the nearest that does)`;
  }
  return OS_REASONS[error.code] ?? error.message;
}

/** "cannot create folder /x/y: permission denied (EACCES)". */
function describeOsError(error: OsError): string {
  const action = ACTIONS[error.syscall] ?? error.syscall;
  if (error.path === undefined) return `cannot ${action}: ${OS_REASONS[error.code] ?? error.message} (${error.code})`;
  const target = error.dest === undefined ? error.path : `${error.path} to ${error.dest}`;
  return `cannot ${action} ${target}: ${osReason(error, error.dest ?? error.path)} (${error.code})`;
}

function firstLine(text: string): string {
  const line = text.split("\n", 1)[0];
  return line.length > MAX_INTERNAL_MESSAGE ? `${line.slice(0, MAX_INTERNAL_MESSAGE)}… (cut; --verbose prints all)` : line;
}

/** The one line that names what failed; without the "xfer: " prefix. */
export function errorSummary(error: unknown): string {
  if (error instanceof XferError) return error.message;
  if (isOsError(error)) return describeOsError(error);
  const what = error instanceof Error ? `${error.name}: ${firstLine(error.message)}` : `thrown value ${firstLine(String(error))}`;
  return `internal error: ${what} (a bug in xfer: re-run with --verbose and report the output)`;
}

/** The stack and the chain of causes, for --verbose. */
function details(error: unknown): string {
  const lines: string[] = [];
  for (let at: unknown = error, depth = 0; at !== undefined && depth < 8; at = (at as { cause?: unknown }).cause, depth++) {
    lines.push(depth === 0 ? "" : "caused by:", at instanceof Error ? at.stack ?? `${at.name}: ${at.message}` : String(at));
    if (!(at instanceof Error)) break;
  }
  return lines.filter((l) => l !== "").join("\n");
}

/** What the CLI prints on stderr for a failure: one line, plus the stack when verbose. */
export function errorReport(error: unknown, verbose: boolean): string {
  const line = `xfer: ${errorSummary(error)}`;
  return verbose ? `${line}\n${details(error)}` : line;
}

/** --verbose anywhere on the command line, or XFER_VERBOSE=1 in the environment. */
export function verboseRequested(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  return argv.includes("--verbose") || env.XFER_VERBOSE === "1";
}
