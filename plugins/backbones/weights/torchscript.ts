/**
 * TorchScript archives (torch.jit.save zips, e.g. OpenAI's released CLIP `.pt` files) read as a
 * state_dict without running anything. `<root>/data.pkl` pickles the module tree: each module is
 * an object of a `__torch__.<path>.<Class>` class built by NEWOBJ + BUILD from a dict of its
 * attributes (submodules, tensors, and plain values such as `training`). Those objects are read as
 * inert attribute records: the class name is kept for messages only, and the TorchScript source
 * in `<root>/code/` that defines the classes is never opened. Tensor names are the attribute paths
 * (`visual.conv1.weight`), as `module.state_dict()` gives them; tensors read through pth.ts's
 * checks (storage bounds, sizes, deflate limits). `<root>/constants.pkl` holds the constants the
 * code refers to (e.g. a traced model's baked-in attention mask), none of them state_dict
 * entries: it is not opened either.
 */
import { InputError } from "../../../core/errors.ts";
import type { TensorMap } from "../../../core/formats/tensor-map.ts";
import { archiveRoot, decodeTensors, Global, type PickleDialect, show, TensorRef, unpickle, Zip, zipStorages } from "./pth.ts";

/** One instance of a TorchScript class: its attribute dict once BUILD gives it, nothing else. */
class ScriptObject {
  attributes: Map<string, unknown> | null = null;
  constructor(readonly className: string) {}
}

/** `restore_type_tag(value, "Dict[str, int]")`: a typed container attribute, never a module. */
class TypedValue {
  constructor(readonly value: unknown, readonly type: string) {}
}

const isScriptClass = (g: Global) => g.module === "__torch__" || g.module.startsWith("__torch__.");
/** Custom C++ classes (`torch.classes`, e.g. packed quantized weights) restore their state in native code. */
const isCustomClass = (g: Global) => g.module === "__torch__.torch.classes" || g.module.startsWith("__torch__.torch.classes.");
/** torch/jit/_pickle.py: each returns its first argument unchanged. */
const LIST_HELPERS = new Set(["build_intlist", "build_doublelist", "build_boollist", "build_tensorlist"]);

const TORCHSCRIPT: PickleDialect = {
  subject: "a TorchScript module (expected __torch__ classes, tensors and the torch.jit._pickle list and type-tag helpers)",
  allows: (g) => isScriptClass(g) || (g.module === "torch.jit._pickle" && (LIST_HELPERS.has(g.name) || g.name === "restore_type_tag")),
  reduce(g, args, fail) {
    if (isScriptClass(g)) fail(`call of "${g.qualified}" (TorchScript enums and class constructors are not data)`);
    if (g.name === "restore_type_tag") {
      if (args.length !== 2 || typeof args[1] !== "string") fail(`${g.qualified} expects (value, type string), got ${show(args)}`);
      return new TypedValue(args[0], args[1] as string);
    }
    if (args.length !== 1 || !Array.isArray(args[0])) fail(`${g.qualified} expects one list, got ${show(args)}`);
    return args[0];
  },
  newObj(cls, args, fail) {
    if (!isScriptClass(cls)) fail(`NEWOBJ of "${cls.qualified}" (only __torch__ classes are objects in a TorchScript archive)`);
    if (isCustomClass(cls)) fail(`object of the custom C++ class "${cls.qualified}" (its state is restored by native code)`);
    if (args.length !== 0) fail(`NEWOBJ of "${cls.qualified}" with arguments ${show(args)} (expected none)`);
    return new ScriptObject(cls.qualified);
  },
  build(obj, state, fail) {
    if (!(obj instanceof ScriptObject)) fail("BUILD on something other than a __torch__ object");
    const target = obj as ScriptObject;
    if (target.attributes) fail(`BUILD of "${target.className}" twice`);
    // torch writes an attribute dict as a bare EMPTY_DICT; anything else is __getstate__ output
    if (!(state instanceof Map)) {
      fail(`"${target.className}" carries ${state instanceof TypedValue ? `a ${state.type}` : show(state)} from __getstate__, not an attribute dict (restoring it would run its TorchScript __setstate__)`);
    }
    for (const key of (state as Map<unknown, unknown>).keys()) {
      if (typeof key !== "string") fail(`"${target.className}" has attribute name ${show(key)}; expected a string`);
    }
    target.attributes = state as Map<string, unknown>;
  },
};

/**
 * Attributes looked at while naming tensors: a whole OpenAI CLIP (both towers, about 15
 * attributes per module) needs under ten thousand; a file whose shared submodules nest so that
 * the walk revisits them exponentially stops here.
 */
const MAX_WALK_STEPS = 250_000;

/** The state_dict names: tensor attributes by their attribute paths, in the pickle's (and state_dict's) order. */
function namedTensors(root: unknown, where: string, entry: string): [string, TensorRef][] {
  const fail = (msg: string): never => {
    throw new InputError(where, `zip entry "${entry}": ${msg}`);
  };
  if (!(root instanceof ScriptObject)) fail(`holds ${root instanceof Map ? "a dict" : show(root)}; expected a __torch__ module object at the top`);
  const out: [string, TensorRef][] = [];
  const ancestors = new Set<ScriptObject>();
  let steps = 0;
  const walk = (obj: ScriptObject, prefix: string) => {
    const path = prefix ? `"${prefix.slice(0, -1)}"` : "the top-level module";
    if (!obj.attributes) fail(`${path} (${obj.className}) was never given its attributes (no BUILD)`);
    ancestors.add(obj);
    for (const [name, value] of obj.attributes!) {
      if (++steps > MAX_WALK_STEPS) fail(`the module tree takes more than ${MAX_WALK_STEPS} steps to walk (shared submodules revisited too often)`);
      if (value instanceof TensorRef) out.push([prefix + name, value]);
      else if (value instanceof ScriptObject) {
        if (ancestors.has(value)) fail(`attribute "${prefix}${name}" refers back to an enclosing module (a cycle)`);
        walk(value, `${prefix}${name}.`);
      }
      // other attributes (training flags, ints, strings, None, typed lists and dicts) are not state_dict entries
    }
    ancestors.delete(obj);
  };
  walk(root as ScriptObject, "");
  return out;
}

/**
 * Whether a torch zip is a TorchScript archive: its data.pkl sits beside constants.pkl or code/
 * (torch.save writes neither), or it is the pre-1.4 TorchScript layout (model.json).
 */
export function isTorchScriptArchive(bytes: Uint8Array, where: string): boolean {
  if (bytes[0] === 0x80) return false; // the legacy torch.save stream
  const zip = new Zip(bytes, where);
  const root = archiveRoot(zip);
  if (root === null) return [...zip.entries.keys()].some((name) => name.endsWith("/model.json"));
  return zip.entries.has(`${root}constants.pkl`) || [...zip.entries.keys()].some((name) => name.startsWith(`${root}code/`));
}

/** A TorchScript archive's parameters and buffers under their state_dict names, as float32. */
export function readTorchScript(bytes: Uint8Array, where: string): TensorMap {
  const zip = new Zip(bytes, where);
  const root = archiveRoot(zip);
  if (root === null) {
    const legacy = [...zip.entries.keys()].some((name) => name.endsWith("/model.json"));
    throw new InputError(where, legacy
      ? "TorchScript archive of PyTorch < 1.4 (model.json, attributes.pkl, tensors/): not supported; expected <name>/data.pkl (load and re-save it with torch.jit.save)"
      : "zip has no data.pkl: not a TorchScript archive");
  }
  const entry = `${root}data.pkl`;
  const module = unpickle(zip.read(zip.entries.get(entry)!), where, 0, TORCHSCRIPT, entry).value;
  return decodeTensors(namedTensors(module, where, entry), zipStorages(zip, root), where);
}
