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

export function createProgress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY) {
    const bar = new SingleBar(
      { format: `${label} [{bar}] {value}/{total} | ETA {eta_formatted} | {info}`, stream, hideCursor: true },
      Presets.shades_classic,
    );
    bar.start(total, 0, { info: "" });
    return {
      update: (done, info = "") => bar.update(done, { info }),
      detail: (info) => bar.update({ info }),
      stop: () => bar.stop(),
    };
  }
  const started = Date.now();
  return {
    update(done, info = "") {
      const elapsed = (Date.now() - started) / 1000;
      const eta = done > 0 ? Math.round((elapsed / done) * (total - done)) : 0;
      stream.write(`${label} ${done}/${total} eta ${eta}s ${info}\n`);
    },
    detail() {},
    stop() {},
  };
}
