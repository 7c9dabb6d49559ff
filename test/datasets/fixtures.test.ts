import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { buildDatasetFixtures, FIXTURES_DIR } from "../../fixtures/generators/datasets.ts";

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

describe("dataset fixtures", () => {
  it("are exactly what the seeded generator writes (run `npm run fixtures` after changing it)", async () => {
    let total = 0;
    for (const [name, files] of await buildDatasetFixtures()) {
      const dir = join(FIXTURES_DIR, name);
      expect(await filesUnder(dir), name).toEqual([...files.keys()].sort());
      for (const [path, bytes] of files) {
        expect(new Uint8Array(await readFile(join(dir, path))), `${name}/${path}`).toEqual(new Uint8Array(bytes));
        total += bytes.byteLength;
      }
    }
    expect(total).toBeLessThan(512 * 1024);
  });
});
