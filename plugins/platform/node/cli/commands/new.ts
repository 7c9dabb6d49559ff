/**
 * `xfer new <kind> <name> [--dir DIR]`: scaffolds a plugin in the user's project (templates in
 * ../templates/plugin-templates.ts): plugins/<name>.ts, test/<name>.test.ts and, for a dataset,
 * fixtures/generators/<name>.ts. It never replaces a file: if any target exists it writes nothing
 * and names them. It leaves package.json alone and prints what to install and register.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { XferError } from "../../../../../core/errors.ts";
import { PLUGIN_KINDS, scaffold, type ScaffoldKind } from "../templates/plugin-templates.ts";

interface Io {
  out(text: string): void;
}

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Versions the generated files should import: the ones this xfer uses and was tested with. */
function xferVersions(): Record<string, string> {
  const manifest = createRequire(import.meta.url)("../../../../../package.json") as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  return { ...manifest.dependencies, vitest: manifest.devDependencies.vitest };
}

export async function newPlugin(kind: string, name: string, dir: string, io: Io): Promise<void> {
  if (!(PLUGIN_KINDS as readonly string[]).includes(kind)) {
    throw new XferError(`xfer new: unknown plugin kind "${kind}"; expected one of ${PLUGIN_KINDS.join(", ")}`);
  }
  if (!NAME.test(name)) {
    throw new XferError(`xfer new: plugin name "${name}" must be kebab-case (lowercase letters and digits, words joined by "-", starting with a letter), e.g. "json-labels"`);
  }
  const project = resolve(dir);
  const { files, exportName, pluginName, imports } = scaffold(kind as ScaffoldKind, name);
  const existing = files.map(([path]) => path).filter((path) => existsSync(join(project, path)));
  if (existing.length > 0) {
    throw new XferError(`xfer new: ${existing.map((path) => join(project, path)).join(", ")} already exist${existing.length === 1 ? "s" : ""}; nothing was written (choose another name or move ${existing.length === 1 ? "it" : "them"})`);
  }
  for (const [path, content] of files) {
    const target = join(project, path);
    await mkdir(dirname(target), { recursive: true });
    // "wx": a file that appeared since the check is still never replaced.
    await writeFile(target, content, { flag: "wx" });
    io.out(`wrote ${target}`);
  }
  const versions = xferVersions();
  const packages = ["vitest", ...imports].map((pkg) => `${pkg}@${versions[pkg]}`);
  io.out("");
  io.out(`${kind} plugin "${pluginName}" (${exportName}). Next:`);
  io.out(`  npm install --save-dev ${packages.join(" ")}   # what the new files import besides xfer, at xfer's versions`);
  io.out(`  npx vitest run test/${name}.test.ts`);
  io.out(`  add "./plugins/${name}.ts" to plugins in xfer.config.ts, then \`xfer list plugins\` shows it (docs/writing-a-plugin.md)`);
}

export function registerNewCommand(program: Command, io: Io): void {
  program
    .command("new")
    .description(`scaffold a plugin of your own with its vitest test: ${PLUGIN_KINDS.join(", ")}`)
    .argument("<kind>", PLUGIN_KINDS.join(" | "))
    .argument("<name>", "kebab-case plugin name, e.g. json-labels")
    .option("--dir <dir>", "project folder to write into", ".")
    .action(async (kind: string, name: string, opts: { dir: string }) => newPlugin(kind, name, opts.dir, io));
}
