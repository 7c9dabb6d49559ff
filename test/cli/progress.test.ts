import { describe, expect, it } from "vitest";
import { createProgress, etaText } from "../../plugins/platform/node/cli/progress.ts";

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
});
