/**
 * `npm run bench`: runs every test/bench/*.bench.ts with `npx tsx`, one after another (they time
 * themselves, so never in parallel), passing their JSON lines through. Exits non-zero if any fails.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL(".", import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith(".bench.ts")).sort();
let failed = 0;
for (const file of files) {
  const run = spawnSync("npx", ["tsx", `${dir}${file}`], { stdio: "inherit" });
  if (run.status !== 0) {
    failed++;
    console.error(`bench ${file} failed (exit ${run.status ?? run.signal})`);
  }
}
process.exit(failed === 0 ? 0 : 1);
