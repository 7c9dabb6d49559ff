/**
 * Vitest globalSetup: one temporary folder per `vitest run` in which the first test file that asks
 * packs xfer and installs the tarball (test/helpers/installed-xfer.ts), so the files that test the
 * installed package share one `npm pack` and one `npm install` instead of paying ~100 s each; their
 * projects are made in it too, and all of it is removed when the run ends. Nothing is packed here:
 * a run of other files costs only the empty folder.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** The run's folder for the packed and installed xfer (see test/helpers/installed-xfer.ts). */
    xferPackageDir: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), "xfer-package-run-"));
  project.provide("xferPackageDir", dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
