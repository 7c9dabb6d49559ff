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
  /** A line of its own (a worker's output, a resumed run): above the bar on a terminal. */
  log(line: string): void;
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
      // forceRedraw: the bar is drawn again after a logged line cleared it, though its text is unchanged.
      { format: `${label} [{bar}] {value}/{total} | ETA {etaText} | {info}`, stream, hideCursor: true, forceRedraw: true },
      Presets.shades_classic,
    );
    bar.start(total, 0, { info: "", etaText: eta() });
    return {
      update(finished, info = "") {
        done = finished;
        bar.update(finished, { info, etaText: eta() });
      },
      detail: (info) => bar.update({ info, etaText: eta() }),
      log(line) {
        // Clear the bar's line, print, and draw the bar again below.
        stream.write(`\r\x1b[2K${line}\n`);
        bar.render();
      },
      stop: () => bar.stop(),
    };
  }
  return {
    update(finished, info = "") {
      done = finished;
      stream.write(`${label} ${finished}/${total} eta ${eta()} ${info}\n`);
    },
    detail() {},
    log: (line) => void stream.write(`${line}\n`),
    stop() {},
  };
}

/** What a sweep has kept when a signal stopped it: runs finished by this sweep and runs found done. */
export interface SweepSoFar {
  readonly recipe: string;
  readonly outDir: string;
  readonly total: number;
  readonly trained: number;
  readonly skipped: number;
  /** The signal that stopped the sweep. */
  readonly signal: string;
  /** Runs stopped midway, with their completed epochs (0: nothing kept yet; undefined: cut short, not known). */
  readonly stopped: readonly { readonly id: string; readonly epochsDone?: number }[];
  /** Exited at once (a second Ctrl-C): claims are left to expire instead of being released. */
  readonly atOnce?: boolean;
}

/**
 * What a stopped sweep kept and how to go on. The run store publishes each run atomically and a
 * run keeps its last completed epoch's resume state, so the same command goes on from there.
 */
export function interruptNotice({ recipe, outDir, total, trained, skipped, signal, stopped, atOnce }: SweepSoFar, argv: readonly string[]): string {
  const kept = trained + skipped;
  const runs = stopped.map(({ id, epochsDone }) => epochsDone === undefined
    ? `run ${id} was cut short: the next xfer run goes on from its last completed epoch's resume state, if it completed one`
    : epochsDone > 0
      ? `run ${id} stopped after epoch ${epochsDone}: its resume state is kept, the next xfer run goes on with epoch ${epochsDone + 1}`
      : `run ${id} stopped in its first epoch: nothing of it is kept`);
  const claims = atOnce
    ? "its claim was not released: a worker on this host takes the run over at once (its process is gone), one elsewhere after the lease"
    : stopped.length > 0 ? "its claim is released" : "";
  return [
    `xfer: interrupted: ${kept} of ${total} run(s) of ${recipe} are kept in ${outDir} (${trained} finished now, ${skipped} found done; stopped by ${signal}${atOnce ? ", exited at once" : ""})`,
    ...runs.map((line) => `xfer: ${line}${claims === "" ? "" : `; ${claims}`}`),
    `xfer: to resume, run the same command: xfer ${argv.slice(2).map(shellQuote).join(" ")}`,
  ].join("\n");
}

function shellQuote(word: string): string {
  return /^[\w./=:@%+,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
