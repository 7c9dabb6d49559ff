import { describe, expect, it } from "vitest";
import { createProgress, etaText, interruptNotice } from "../../plugins/platform/node/cli/progress.ts";

describe("progress ETA", () => {
  it("says nothing before the first item, then extrapolates the mean pace", () => {
    expect(etaText(5_000, 0, 10)).toBe("--");
    expect(etaText(10_000, 1, 10)).toBe("1m30s");
    expect(etaText(10_000, 2, 4)).toBe("10s");
    expect(etaText(3_600_000, 1, 3)).toBe("2h00m");
    expect(etaText(1_000, 4, 4)).toBe("0s");
  });

  it("prints one line per finished item off a terminal", () => {
    const lines: string[] = [];
    let clock = 0;
    const stream = { isTTY: false, write: (text: string) => void lines.push(text) } as unknown as NodeJS.WriteStream;
    const progress = createProgress("recipe", 3, stream, () => clock);
    clock = 20_000;
    progress.update(1, "run a");
    progress.detail("step 3/10");
    clock = 40_000;
    progress.update(2, "run b");
    expect(lines).toEqual(["recipe 1/3 eta 40s run a\n", "recipe 2/3 eta 20s run b\n"]);
  });

  it("logs a line of its own as it is off a terminal, and above the bar on one", () => {
    const plain: string[] = [];
    createProgress("recipe", 3, { isTTY: false, write: (text: string) => void plain.push(text) } as unknown as NodeJS.WriteStream).log("[w1] hello");
    expect(plain).toEqual(["[w1] hello\n"]);
    const tty: string[] = [];
    const stream = { isTTY: true, columns: 80, write: (text: string) => void tty.push(text), cursorTo: () => true, clearLine: () => true, moveCursor: () => true, clearScreenDown: () => true };
    const bar = createProgress("recipe", 3, stream as unknown as NodeJS.WriteStream);
    bar.log("[w2] a worker's line");
    bar.stop();
    const text = tty.join("");
    // The bar's line is cleared before the line, and the bar is drawn again after it.
    expect(text).toContain("\r\x1b[2K[w2] a worker's line\n");
    expect(text.slice(text.indexOf("[w2] a worker's line"))).toMatch(/recipe \[[^\]]*\] 0\/3/);
  });
});

describe("the notice of a sweep stopped by a signal", () => {
  const base = { recipe: "r", outDir: "/out/r", total: 4, trained: 1, skipped: 2, signal: "SIGUSR1" };
  const argv = ["node", "xfer", "run", "r", "--filter", "training.lr=1e-2", "--out", "/a b"];

  it("says what was kept, which run stopped after which epoch, and the command to resume", () => {
    expect(interruptNotice({ ...base, stopped: [{ id: "abc", epochsDone: 3 }] }, argv).split("\n")).toEqual([
      "xfer: interrupted: 3 of 4 run(s) of r are kept in /out/r (1 finished now, 2 found done; stopped by SIGUSR1)",
      "xfer: run abc stopped after epoch 3: its resume state is kept, the next xfer run goes on with epoch 4; its claim is released",
      "xfer: to resume, run the same command: xfer run r --filter training.lr=1e-2 --out '/a b'",
    ]);
  });

  it("a run stopped in its first epoch keeps nothing; a stop at once leaves the claim to expire", () => {
    expect(interruptNotice({ ...base, stopped: [{ id: "abc", epochsDone: 0 }] }, argv)).toContain("xfer: run abc stopped in its first epoch: nothing of it is kept; its claim is released");
    const atOnce = interruptNotice({ ...base, signal: "SIGINT", atOnce: true, stopped: [{ id: "abc" }] }, argv);
    expect(atOnce).toContain("stopped by SIGINT, exited at once)");
    expect(atOnce).toContain("xfer: run abc was cut short: the next xfer run goes on from its last completed epoch's resume state, if it completed one; its claim was not released");
    expect(interruptNotice({ ...base, stopped: [] }, argv).split("\n")).toHaveLength(2);
  });
});
