/**
 * Reads checkpoints one after another in a fresh process and reports, per file, how the read
 * ended and the process's peak memory before and after it, so a test can bound what a crafted
 * file costs (peak after minus resident before bounds the read's own peak). One JSON line per file.
 */
import { readCheckpoint } from "../../plugins/backbones/weights/index.ts";

const gc = (globalThis as { gc?: () => void }).gc;
for (const path of process.argv.slice(2)) {
  gc?.();
  const rssBefore = process.memoryUsage().rss;
  let outcome: Record<string, unknown>;
  try {
    outcome = { ok: true, tensors: (await readCheckpoint(path)).size };
  } catch (e) {
    outcome = { error: (e as Error).message, name: (e as Error).name };
  }
  process.stdout.write(`${JSON.stringify({ path, ...outcome, rssBefore, maxRssAfter: process.resourceUsage().maxRSS * 1024 })}\n`);
}
