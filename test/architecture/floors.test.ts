/**
 * The floors of docs/architecture.md, checked on every import of the tree: imports point down
 * (core < plugins < recipes < platform < package entry), core stays Node-free (only packages Deno
 * can resolve through deno.json), a plugin imports core and its own family's shared library but
 * never another plugin's folder, and no two modules import each other through a circle.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

/** Plugin families: each subfolder is one plugin, except the family's shared libraries listed here. */
const FAMILIES: Readonly<Record<string, readonly string[]>> = {
  datasets: ["common"],
  splitters: [],
  backbones: ["nn", "weights"],
  augmentations: [],
  optimizers: [],
  schedules: [],
  metrics: [],
  backends: [],
};

interface Module {
  /** Path relative to the repository root, with forward slashes. */
  readonly path: string;
  readonly relativeImports: string[];
  readonly packageImports: string[];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (statSync(join(ROOT, path)).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|mjs)$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

function parse(path: string): Module {
  const info = ts.preProcessFile(readFileSync(join(ROOT, path), "utf8"), true, true);
  const specifiers = info.importedFiles.map((f) => f.fileName);
  return {
    path,
    relativeImports: specifiers.filter((s) => s.startsWith(".")).map((s) => relative(ROOT, normalize(join(ROOT, dirname(path), s))).replaceAll("\\", "/")),
    packageImports: specifiers.filter((s) => !s.startsWith(".")),
  };
}

const MODULES = ["core", "plugins", "recipes"].flatMap(sourceFiles).map(parse);

/**
 * What a file is: its floor (higher may import lower) and, inside plugins/, its family and plugin
 * folder (undefined for a family's shared library or its index).
 */
function place(path: string): { floor: number; family?: string; plugin?: string } {
  const parts = path.split("/");
  if (parts[0] === "core") return { floor: 0 };
  if (parts[0] === "recipes") return { floor: 3 };
  if (parts[0] === "fixtures") return { floor: 0 };
  if (path === "plugins/index.ts") return { floor: 5 };
  if (parts[1] === "platform") return { floor: 4 };
  if (path === "plugins/manifest.ts") return { floor: 2 };
  const family = parts[1];
  if (!(family in FAMILIES)) throw new Error(`${path}: plugins/${family} is neither a plugin family nor the platform; add it to FAMILIES or docs/architecture.md`);
  if (parts.length === 3) return { floor: parts[2] === "index.ts" ? 2 : 1, family };
  const folder = parts[2];
  return { floor: 1, family, plugin: FAMILIES[family].includes(folder) ? undefined : folder };
}

describe("import floors", () => {
  it("core imports only core and the packages deno.json maps (nothing Node-only)", () => {
    const denoImports = Object.keys((JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")) as { imports: Record<string, string> }).imports);
    const allowed = (spec: string) => denoImports.some((key) => (key.endsWith("/") ? spec.startsWith(key) : spec === key));
    const problems = MODULES.filter((m) => m.path.startsWith("core/")).flatMap((m) => [
      ...m.relativeImports.filter((t) => !t.startsWith("core/")).map((t) => `${m.path} imports ${t}, outside core/`),
      ...m.packageImports.filter((p) => !allowed(p)).map((p) => `${m.path} imports "${p}", which core may not (Node-only or not in deno.json)`),
    ]);
    expect(problems).toEqual([]);
  });

  it("every import points to the same or a lower floor", () => {
    const problems = MODULES.flatMap((m) =>
      m.relativeImports
        .filter((target) => !target.startsWith("fixtures/") || m.path.startsWith("recipes/"))
        .filter((target) => place(target).floor > place(m.path).floor)
        .map((target) => `${m.path} (floor ${place(m.path).floor}) imports ${target} (floor ${place(target).floor})`),
    );
    expect(problems).toEqual([]);
  });

  it("recipes only compose: they import core, recipes and the paper's published tables", () => {
    const problems = MODULES.filter((m) => m.path.startsWith("recipes/")).flatMap((m) =>
      m.relativeImports.filter((t) => !/^(core|recipes|fixtures\/paper)\//.test(t)).map((t) => `${m.path} imports ${t}`),
    );
    expect(problems).toEqual([]);
  });

  it("a plugin imports core and its own family's shared library, never another plugin's folder or family", () => {
    const problems = MODULES.filter((m) => place(m.path).floor === 1).flatMap((m) => {
      const from = place(m.path);
      return m.relativeImports.filter((target) => {
        if (target.startsWith("core/")) return false;
        const to = place(target);
        if (to.family !== from.family) return true;
        // Shared libraries may be used by the whole family; a plugin folder only by itself.
        return to.plugin !== undefined && to.plugin !== from.plugin;
      }).map((target) => `${m.path} imports ${target}`);
    });
    expect(problems).toEqual([]);
  });

  it("no module reaches itself through its imports", () => {
    const graph = new Map(MODULES.map((m) => [m.path, m.relativeImports.filter((t) => t !== m.path)]));
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (path: string, stack: string[]) => {
      if (state.get(path) === "done" || !graph.has(path)) return;
      if (state.get(path) === "open") {
        cycles.push([...stack.slice(stack.indexOf(path)), path].join(" -> "));
        return;
      }
      state.set(path, "open");
      for (const next of graph.get(path)!) visit(next, [...stack, path]);
      state.set(path, "done");
    };
    for (const path of graph.keys()) visit(path, []);
    expect(cycles).toEqual([]);
  });
});
