/**
 * Imports a user's module (a recipe, the config, a plugin module) through the loader the `xfer`
 * command runs under, so it shares xfer's own module copies. A `.ts`/`.js` file with no
 * `"type": "module"` package.json above it is CommonJS to Node, and CommonJS cannot load xfer (an
 * ES module) from it: that gets an error saying how to fix it, not Node's "require() cycle".
 */
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { InputError } from "../../../core/errors.ts";

const COMMONJS_CODES = new Set(["ERR_REQUIRE_CYCLE_MODULE", "ERR_REQUIRE_ESM", "ERR_REQUIRE_ASYNC_MODULE"]);

export async function importUserModule(file: string): Promise<Record<string, unknown>> {
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    if (!COMMONJS_CODES.has((error as NodeJS.ErrnoException).code ?? "")) throw error;
    throw new InputError(
      file,
      `is loaded as CommonJS, which cannot import xfer (an ES module): put a package.json with "type": "module" in ${dirname(file)} or a folder above it, or name the file .mts/.mjs`,
    );
  }
}
