// The statistics under Deno: the same SciPy/statsmodels parity vectors the Node suite checks
// (fixtures/parity/stats), so @stdlib and ml-matrix resolve and compute identically here.
import assert from "node:assert/strict";
import { clopperPearson, kendallTau, nestedFTest, ols, pearson, spearman } from "../../core/index.ts";

const fx = JSON.parse(await Deno.readTextFile(new URL("../../fixtures/parity/stats/stats.json", import.meta.url)));

function close(actual: number, expected: number, rel: number, what: string) {
  const scale = Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= rel * scale, `${what}: ${actual} vs ${expected}`);
}

Deno.test("correlations match scipy.stats", () => {
  for (const [i, c] of fx.correlations.entries()) {
    close(pearson(c.x, c.y).r, c.pearson.r, 1e-9, `pearson r #${i}`);
    close(pearson(c.x, c.y).p, c.pearson.p, 1e-6, `pearson p #${i}`);
    if (c.spearman) close(spearman(c.x, c.y).rho, c.spearman.rho, 1e-9, `spearman #${i}`);
    close(kendallTau(c.x, c.y).tau, c.kendall.tau, 1e-9, `kendall #${i}`);
  }
});

Deno.test("OLS and nested F-tests match statsmodels", () => {
  for (const c of fx.ols) {
    const fit = ols(c.y, c.X, { intercept: c.intercept });
    c.expected.coef.forEach((v: number, j: number) => close(fit.coef[j], v, 1e-9, `${c.name} coef ${j}`));
    close(fit.adjR2, c.expected.adjR2, 1e-9, `${c.name} adjR2`);
  }
  for (const [i, c] of fx.ftest.entries()) {
    const full = ols(c.y, c.X);
    const restricted = ols(c.y, c.X.map((row: number[]) => row.slice(0, c.restrictedColumns)));
    const f = nestedFTest(restricted, full);
    close(f.F, c.expected.F, 1e-9, `F #${i}`);
    close(f.p, c.expected.p, 1e-6, `p #${i}`);
  }
});

Deno.test("Clopper-Pearson intervals match statsmodels", () => {
  for (const c of fx.clopperPearson) {
    const ci = clopperPearson(c.x, c.n, c.alpha);
    close(ci.lower, c.lower, 1e-6, `lower ${c.x}/${c.n}`);
    close(ci.upper, c.upper, 1e-6, `upper ${c.x}/${c.n}`);
  }
});

Deno.test("Frechet distance (FID) matches scipy under Deno's WebAssembly", async () => {
  const { frechetDistance } = await import("../../core/index.ts");
  for (const [i, c] of fx.frechet.entries()) {
    close(frechetDistance(c.a, c.b), c.fidSqrtm, 1e-6, `FID #${i}`);
  }
});
