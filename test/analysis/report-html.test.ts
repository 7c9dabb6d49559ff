// report.html in a real headless Chromium (Debian's chromium, driven by playwright-core): each
// analysis recipe's report, written by `xfer run <analysis>` as a user runs it, opens from file://
// with no console errors, draws every figure as an SVG of non-zero size with marks, and hovering
// a point shows a tooltip naming that figure's model.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATASETS } from "../../core/analysis/index.ts";
import { TABLE4 } from "../../fixtures/paper/fang2023.ts";

const XFER = resolve(import.meta.dirname, "../../plugins/platform/node/cli/xfer.mjs");
const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`report-html.test.ts skipped: ${CHROMIUM} is absent (apt-get install chromium; CI installs it)`);

/** Every string a `model` field holds anywhere in a Vega-Lite spec (inline data and datasets). */
function modelNames(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) modelNames(v, into);
  else if (value !== null && typeof value === "object") {
    for (const [key, v] of Object.entries(value)) {
      if (key === "model" && typeof v === "string") into.add(v);
      else modelNames(v, into);
    }
  }
  return into;
}

describe.skipIf(!hasChromium)("report.html in headless Chromium", () => {
  let browser: Browser;
  let out: string;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), "xfer-report-html-"));
    // The paper's Table 4 as a user's results file: transfer-trends then draws core/analysis/trend.ts's labelled panels.
    const results = join(out, "table4.csv");
    writeFileSync(results, [["model", "imagenet_top1", ...DATASETS].join(","), ...TABLE4.map((r) => [r.model, r.ImageNet, ...DATASETS.map((d) => r[d])].join(","))].join("\n") + "\n");
    const runs: [folder: string, args: string[]][] = [
      ["published", ["transfer-trends"]],
      ["user-results", ["transfer-trends", "--results", results]],
      ["published", ["model-rankings"]],
      ["published", ["real-world-average"]],
    ];
    for (const [folder, args] of runs) {
      const run = spawnSync(process.execPath, [XFER, "run", ...args, "--out", join(out, folder)], { encoding: "utf8" });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/report\.html/);
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
  });

  it.each([
    ["published", "transfer-trends"],
    ["user-results", "transfer-trends"],
    ["published", "model-rankings"],
    ["published", "real-world-average"],
  ])("%s %s: loads from file:// without errors, draws every figure, names the model on hover", async (folder, recipe) => {
    const dir = join(out, folder, recipe);
    const html = readFileSync(join(dir, "report.html"), "utf8");
    expect(html, "self-contained: no script or stylesheet is fetched").not.toMatch(/<script[^>]+src=|<link[^>]+href=/i);
    const figureKeys = [...html.matchAll(/data-figure="([^"]+)"/g)].map((m) => m[1]);
    expect(figureKeys.length).toBeGreaterThan(0);

    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") problems.push(`${message.type()}: ${message.text()}`);
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("request", (request) => {
      if (!request.url().startsWith("file:") && !request.url().startsWith("data:")) problems.push(`network request: ${request.url()}`);
    });
    await page.goto(pathToFileURL(join(dir, "report.html")).href);
    await page.waitForFunction((n) => document.querySelectorAll("[data-figure] svg.marks").length === n, figureKeys.length, { timeout: 30_000 });

    for (const key of figureKeys) {
      const spec = JSON.parse(readFileSync(join(dir, `${key}.vl.json`), "utf8"));
      const models = modelNames(spec);
      expect(models.size, `${key}.vl.json names its models`).toBeGreaterThan(0);
      const svg = page.locator(`[data-figure="${key}"] svg.marks`);
      const box = await svg.boundingBox();
      expect(box!.width, key).toBeGreaterThan(0);
      expect(box!.height, key).toBeGreaterThan(0);
      const points = svg.locator("g.mark-symbol path");
      expect(await points.count(), `${key}: points drawn`).toBeGreaterThan(0);

      await page.mouse.move(0, 0);
      await points.first().scrollIntoViewIfNeeded();
      await points.first().hover({ force: true });
      const tooltip = page.locator("#vg-tooltip-element.visible");
      await tooltip.waitFor({ state: "visible", timeout: 5_000 });
      // vega-tooltip lays a datum out as key/value rows; the "model" row names one of the figure's models.
      const rows = await tooltip.locator("tr").evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll("td"), (td) => td.textContent)));
      const model = rows.find(([k]) => k === "model")?.[1];
      expect(model, `${key}: tooltip rows ${JSON.stringify(rows)}`).toBeDefined();
      expect([...models], key).toContain(model);
    }
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});
