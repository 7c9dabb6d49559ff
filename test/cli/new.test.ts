// `xfer new <kind> <name>` as a user meets it: in a project that installed xfer from its packed
// tarball, the project's own `xfer` scaffolds a plugin of every kind, the packages it says to
// install are installed (from the npm cache), and the generated vitest tests pass as generated.
// It never replaces a file, and bad kinds and names are refused with what was expected.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PLUGIN_KINDS } from "../../plugins/platform/node/cli/templates/plugin-templates.ts";
import { projectWithInstalledXfer } from "../helpers/installed-xfer.ts";

let project: string;
let xferBin: string;

function xfer(...args: string[]) {
  return spawnSync(process.execPath, [xferBin, ...args], { cwd: project, encoding: "utf8", timeout: 60_000 });
}

beforeAll(async () => {
  project = await projectWithInstalledXfer("xfer-new-", "my-study");
  xferBin = join(project, "node_modules/xfer/plugins/platform/node/cli/xfer.mjs");
}, 300_000);

describe("xfer new in a project that installed xfer", () => {
  it("scaffolds every kind; after the printed installs the generated tests pass", () => {
    const installs = new Set<string>();
    for (const kind of PLUGIN_KINDS) {
      const run = xfer("new", kind, `my-${kind}`);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toContain(join(project, "plugins", `my-${kind}.ts`));
      expect(run.stdout).toContain(join(project, "test", `my-${kind}.test.ts`));
      const install = run.stdout.match(/npm install --save-dev ([^#\n]+)/);
      expect(install, run.stdout).not.toBeNull();
      for (const pkg of install![1].trim().split(/\s+/)) installs.add(pkg);
    }
    expect(existsSync(join(project, "fixtures/generators/my-dataset.ts"))).toBe(true);
    expect(readFileSync(join(project, "plugins/my-dataset.ts"), "utf8")).toMatch(/import \{[^}]*defineDataset[^}]*\} from "xfer"/);

    // What the user is told to run: the packages at xfer's versions (here from the npm cache).
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--save-dev", ...installs], { cwd: project, stdio: "ignore" });
    const tests = spawnSync(join(project, "node_modules/.bin/vitest"), ["run"], { cwd: project, encoding: "utf8", timeout: 240_000 });
    expect(tests.status, tests.stdout.slice(-4000) + tests.stderr.slice(-2000)).toBe(0);
    expect(tests.stdout).toMatch(new RegExp(`Test Files .*${PLUGIN_KINDS.length} passed`));
    // The dataset's own test deleted an image and saw the index fail: it ran, not skipped.
    expect(tests.stdout).not.toMatch(/skipped/);
  }, 420_000);

  it("never replaces a file: a name in use is refused, naming the files, and nothing is written", () => {
    const plugin = join(project, "plugins/taken.ts");
    mkdirSync(join(project, "plugins"), { recursive: true });
    writeFileSync(plugin, "// my own work\n");
    const run = xfer("new", "metric", "taken");
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(`${plugin} already exists; nothing was written`);
    expect(readFileSync(plugin, "utf8")).toBe("// my own work\n");
    expect(existsSync(join(project, "test/taken.test.ts"))).toBe(false);
  });

  it("refuses an unknown kind and a name that is not kebab-case, saying what is expected", () => {
    const kind = xfer("new", "loss", "focal");
    expect(kind.status).not.toBe(0);
    expect(kind.stderr).toContain(`unknown plugin kind "loss"; expected one of ${PLUGIN_KINDS.join(", ")}`);
    const name = xfer("new", "metric", "My_Metric", "--dir", join(project, "elsewhere"));
    expect(name.status).not.toBe(0);
    expect(name.stderr).toMatch(/plugin name "My_Metric" must be kebab-case/);
    expect(existsSync(join(project, "elsewhere"))).toBe(false);
  });
});
