/**
 * Optimizer state for resumed runs: N steps, saveState, a fresh optimizer on fresh variables
 * holding the saved values, loadState, M more steps: bit-identical to N + M uninterrupted steps.
 */
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import type { Optimizer, OptimizerState } from "../../core/contracts.ts";
import { SeedTree } from "../../core/rng.ts";
import { adamOptimizer } from "../../plugins/optimizers/adam/index.ts";
import { adamwOptimizer } from "../../plugins/optimizers/adamw/index.ts";
import { sgdOptimizer } from "../../plugins/optimizers/sgd/index.ts";
import { plainSgd } from "../helpers/plugins.ts";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const SHAPES: Record<string, number[]> = { "conv.weight": [3, 2], "conv.bias": [2], "fc.weight": [2, 2, 1] };
const NAMES = Object.keys(SHAPES);
let instance = 0;

/** Fresh variables (unique tfjs names, the stable names NAMES) holding `values`, or seeded ones. */
function variables(values?: Float32Array[]): tf.Variable[] {
  const rng = new SeedTree(3).stream("init");
  const prefix = `state-test${instance++}`;
  return NAMES.map((n, i) => tf.tidy(() => tf.variable(tf.tensor(values?.[i] ?? Float32Array.from({ length: SHAPES[n].reduce((a, b) => a * b, 1) }, () => rng.normal()), SHAPES[n]), true, `${prefix}/${n}`)));
}

/** Deterministic, step-dependent gradients. */
function gradients(step: number): tf.Tensor[] {
  const rng = new SeedTree(5).stream("grad", step);
  return NAMES.map((n) => tf.tensor(Float32Array.from({ length: SHAPES[n].reduce((a, b) => a * b, 1) }, () => rng.normal()), SHAPES[n]));
}

function run(optimizer: Optimizer, vars: tf.Variable[], from: number, to: number): void {
  for (let step = from; step < to; step++) {
    const g = gradients(step);
    optimizer.step(vars, g, 0.05 * (1 - step / 20));
    tf.dispose(g);
  }
}

const bits = (vars: tf.Variable[]) => vars.map((v) => Array.from(new Uint32Array(Float32Array.from(v.dataSync()).buffer)));

/** Round trip through JSON-able numbers and fresh Float32Arrays, as a resume file does. */
function copyState(state: OptimizerState): OptimizerState {
  return { scalars: JSON.parse(JSON.stringify(state.scalars)), tensors: state.tensors.map((t) => ({ name: t.name, shape: [...t.shape], data: Float32Array.from(t.data) })) };
}

const CASES: [string, () => Optimizer][] = [
  ["sgd momentum + nesterov + decay", () => sgdOptimizer.build({ momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
  ["sgd momentum + dampening", () => sgdOptimizer.build({ momentum: 0.8, nesterov: false, dampening: 0.3 })],
  ["sgd plain", () => sgdOptimizer.build({ momentum: 0, nesterov: false })],
  ["adam + coupled decay", () => adamOptimizer.build({ weightDecay: 0.01 })],
  ["adamw exclude-norm-bias", () => adamwOptimizer.build({ weightDecay: 0.05, decayScope: "exclude-norm-bias" })],
];

describe.each(CASES)("%s", (_label, make) => {
  it("saved after N steps and loaded into a fresh optimizer, M more steps are bit-identical to N + M", () => {
    const [n, m] = [4, 3];
    const before = tf.memory().numTensors;
    const straight = make();
    const a = variables();
    run(straight, a, 0, n + m);

    const first = make();
    const b = variables();
    run(first, b, 0, n);
    const state = copyState(first.saveState(b, NAMES));
    const values = b.map((v) => Float32Array.from(v.dataSync()));
    first.dispose();
    tf.dispose(b);

    const second = make();
    const c = variables(values);
    second.loadState(c, NAMES, state);
    run(second, c, n, n + m);
    expect(bits(c)).toEqual(bits(a));

    second.dispose();
    straight.dispose();
    tf.dispose([...a, ...c]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("optimizer state", () => {
  it("names slots <slot>/<name> and counts steps as scalars", () => {
    const opt = adamOptimizer.build();
    const vars = variables();
    run(opt, vars, 0, 2);
    const state = opt.saveState(vars, NAMES);
    expect(state.scalars).toEqual({ t: 2 });
    expect(state.tensors.map((t) => t.name).sort()).toEqual(NAMES.flatMap((n) => [`m/${n}`, `v/${n}`]).sort());
    expect(sgdOptimizer.build().saveState(vars, NAMES)).toEqual({ scalars: {}, tensors: [] });
    opt.dispose();
    tf.dispose(vars);
  });

  it("refuses a state that does not fit, naming the optimizer, slot and variable", () => {
    const opt = adamOptimizer.build();
    const vars = variables();
    run(opt, vars, 0, 1);
    const state = opt.saveState(vars, NAMES);
    const fresh = adamOptimizer.build();
    const other = variables();
    const bad = (s: Partial<OptimizerState>, names = NAMES) => () => fresh.loadState(other, names, { ...state, ...s });
    expect(bad({}, ["conv.weight", "conv.bias", "head.weight"])).toThrow(/optimizer adam: saved slot "m" of variable "fc.weight", which is not among/);
    const wrongShape = state.tensors.map((t) => (t.name === "v/conv.bias" ? { ...t, shape: [1, 2] } : t));
    expect(bad({ tensors: wrongShape })).toThrow(/optimizer adam: saved slot "v" of variable "conv.bias" has shape \[1, 2\].*the variable has \[2\]/);
    expect(bad({ tensors: [{ name: "momentum/conv.bias", shape: [2], data: new Float32Array(2) }] })).toThrow(/optimizer adam: saved state tensor "momentum\/conv.bias" is no slot of this optimizer \(slots: m, v\)/);
    expect(bad({ scalars: {} })).toThrow(/optimizer adam: saved counters \[\] are not this optimizer's \[t\]/);
    expect(bad({ scalars: { t: 1.5 } })).toThrow(/optimizer adam: saved counter "t" must be a non-negative integer/);
    expect(() => sgdOptimizer.build().loadState(other, NAMES, state)).toThrow(/optimizer sgd: saved counters \[t\] are not this optimizer's \[\]/);
    expect(() => opt.saveState(vars.slice(1), NAMES.slice(1))).toThrow(/optimizer adam: holds 6 buffers but only 4 belong to the 2 variables/);
    expect(() => opt.saveState(vars, ["a", "a", "b"])).toThrow(/optimizer adam: variable name "a" given twice/);
    [opt, fresh].forEach((o) => o.dispose());
    tf.dispose([...vars, ...other]);
  });

  it("the test helpers' stateless optimizer saves nothing and refuses a state with something in it", async () => {
    const opt = await plainSgd.create({}, { seeds: new SeedTree(0) });
    const vars = variables();
    expect(opt.saveState(vars, NAMES)).toEqual({ scalars: {}, tensors: [] });
    expect(() => opt.loadState(vars, NAMES, { scalars: { t: 1 }, tensors: [] })).toThrow(/test-sgd: it keeps no state/);
    tf.dispose(vars);
  });
});
