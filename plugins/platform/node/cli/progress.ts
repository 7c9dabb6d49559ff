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
