/**
 * xfer as a user installs it, once per `vitest run`: `npm pack` of this checkout and `npm install`
 * of the tarball into a project, then a copy of that project (package.json, package-lock.json,
 * node_modules and the tarball beside it, byte for byte) for each test file that asks. Every file
 * still has a fresh project of its own to write in and to `npm install` more into, without packing
 * and installing xfer again (~100 s each on 2 busy cores). The first file to ask does the work
 * under a lock (an exclusive mkdir); files asking meanwhile wait for it, and fail with its error.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { inject } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
/** How long a file waits for another file's pack and install. */
const INSTALL_WAIT_MS = 280_000;

/**
 * Packs xfer into `dir` and installs the tarball into `dir/installed` (renamed there only when
 * complete), so the project's `file:../<tarball>` dependency resolves from any copy made beside a
 * copy of the tarball.
 */
function packAndInstall(dir: string): void {
  execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: ROOT, encoding: "utf8" });
  const tarballs = readdirSync(dir).filter((f) => f.endsWith(".tgz"));
  if (tarballs.length !== 1) throw new Error(`npm pack left ${tarballs.length} tarballs in ${dir}, expected 1: ${tarballs.join(", ")}`);
  const staging = join(dir, "installing");
  mkdirSync(staging);
  writeFileSync(join(staging, "package.json"), JSON.stringify({ name: "installed-xfer", private: true, type: "module" }));
  // As a user installs it, optional packages included (sharp's prebuilt libvips is one).
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", join("..", tarballs[0])], { cwd: staging, stdio: "ignore" });
  renameSync(staging, join(dir, "installed"));
}

/** The run's folder holding the tarball and `installed`, packed and installed by whichever file asked first. */
async function sharedInstall(): Promise<string> {
  const dir = inject("xferPackageDir");
  if (!dir) throw new Error("test/helpers/installed-xfer.ts needs the globalSetup test/helpers/xfer-package-setup.ts (vitest.config.ts)");
  const failed = join(dir, "failed.txt");
  let owner = true;
  try {
    mkdirSync(join(dir, "lock"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    owner = false;
  }
  if (owner) {
    try {
      packAndInstall(dir);
    } catch (error) {
      writeFileSync(failed, String((error as Error).stack ?? error));
      throw error;
    }
    return dir;
  }
  for (const deadline = Date.now() + INSTALL_WAIT_MS; !existsSync(join(dir, "installed")); await sleep(500)) {
    if (existsSync(failed)) throw new Error(`another test file failed to pack and install xfer in ${dir}:\n${readFileSync(failed, "utf8")}`);
    if (Date.now() > deadline) throw new Error(`xfer was not packed and installed in ${dir} within ${INSTALL_WAIT_MS / 1000} s by the test file that took ${join(dir, "lock")}`);
  }
  return dir;
}

/**
 * A new folder `<prefix>XXXXXX/<name>` in the run's folder (removed when the run ends, so the
 * ~540 MB copies do not pile up in the temp folder): a project named `name` (an ES module package)
 * with xfer installed from its packed tarball, as `npm install <tarball>` left it.
 */
export async function projectWithInstalledXfer(prefix: string, name: string): Promise<string> {
  const dir = await sharedInstall();
  const work = mkdtempSync(join(dir, prefix));
  const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"))!;
  const project = join(work, name);
  // cp -a: several times faster than fs.cpSync over node_modules' ~17,000 files.
  execFileSync("cp", ["-a", join(dir, tarball), work]);
  execFileSync("cp", ["-a", join(dir, "installed"), project]);
  const manifestPath = join(project, "package.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { dependencies?: Record<string, string> };
  if (manifest.dependencies?.xfer !== `file:../${tarball}`) {
    throw new Error(`${join(dir, "installed/package.json")}: expected dependencies.xfer "file:../${tarball}" from npm install, found ${JSON.stringify(manifest.dependencies?.xfer)}`);
  }
  writeFileSync(manifestPath, JSON.stringify({ ...manifest, name }));
  return project;
}
