/**
 * Progress for long work: a bar with counts and ETA on a terminal; on anything else (CI logs,
 * pipes) one plain line per finished item, so logs stay readable.
 */
import { SingleBar, Presets } from "cli-progress";

export interface Progress {
  /** A finished item: moves the bar; off a terminal, prints one line. */
  update(done: number, info?: string): void;
  /** Live detail (step, loss) for the bar; off a terminal, nothing, so logs stay short. */
  detail(info: string): void;
  stop(): void;
}

/**
 * Time left at the mean pace of the finished items, as "1h05m", "4m10s" or "12s"; "--" before the
 * first item finishes (no pace yet; cli-progress's own ETA prints "NF" then).
 */
export function etaText(elapsedMs: number, done: number, total: number): string {
  if (done <= 0) return "--";
  const seconds = Math.round((elapsedMs / 1000 / done) * Math.max(0, total - done));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m`;
  return m > 0 ? `${m}m${String(s).padStart(2, "0")}s` : `${s}s`;
}

export function createProgress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr, now = Date.now): Progress {
  const started = now();
  let done = 0;
  const eta = () => etaText(now() - started, done, total);
  if (stream.isTTY) {
    const bar = new SingleBar(
      { format: `${label} [{bar}] {value}/{total} | ETA {etaText} | {info}`, stream, hideCursor: true },
      Presets.shades_classic,
    );
    bar.start(total, 0, { info: "", etaText: eta() });
    return {
      update(finished, info = "") {
        done = finished;
        bar.update(finished, { info, etaText: eta() });
      },
      detail: (info) => bar.update({ info, etaText: eta() }),
      stop: () => bar.stop(),
    };
  }
  return {
    update(finished, info = "") {
      done = finished;
      stream.write(`${label} ${finished}/${total} eta ${eta()} ${info}\n`);
    },
    detail() {},
    stop() {},
  };
}

/** What a sweep has kept when it is interrupted: runs finished by this process and runs found done. */
export interface SweepSoFar {
  readonly recipe: string;
  readonly outDir: string;
  readonly total: number;
  readonly trained: number;
  readonly skipped: number;
}

/**
 * Until the returned release is called, Ctrl-C (SIGINT) ends the process with exit code 130
 * (128 + SIGINT, as shells report it) after saying what was kept and how to resume. The run
 * store publishes each run atomically, so a run cut midway leaves only an unpublished attempt,
 * which the same command trains again.
 */
export function exitOnInterrupt(soFar: () => SweepSoFar, argv: readonly string[], beforeExit: () => void, stream: NodeJS.WritableStream = process.stderr): () => void {
  const handler = () => {
    beforeExit();
    stream.write(`${interruptNotice(soFar(), argv)}\n`);
    process.exit(130);
  };
  process.once("SIGINT", handler);
  return () => process.off("SIGINT", handler);
}

export function interruptNotice({ recipe, outDir, total, trained, skipped }: SweepSoFar, argv: readonly string[]): string {
  const kept = trained + skipped;
  return [
    `xfer: interrupted: ${kept} of ${total} run(s) of ${recipe} are kept in ${outDir} (${trained} finished now, ${skipped} found done); the run cut short is not published`,
    `xfer: to resume, run the same command: xfer ${argv.slice(2).map(shellQuote).join(" ")}`,
  ].join("\n");
}

function shellQuote(word: string): string {
  return /^[\w./=:@%+,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
