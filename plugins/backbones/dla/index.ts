/**
 * Deep Layer Aggregation (Yu et al. 2018) as timm builds it (timm/models/dla.py): DLA-46-C and
 * DLA-X-46-C, bottleneck trees aggregated by 1x1-conv roots. timm's state_dict names:
 * base_layer, level0..level5 (level0/1 plain conv stages, level2..5 DlaTree with tree1 / tree2 /
 * root / project), `fc` a 1x1 conv on the pooled features ("pointwise" head). The roots have no
 * residual shortcut (timm's shortcut_root is False for these two models).
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../../../core/errors.ts";
import type { TensorMap } from "../../../core/formats/tensor-map.ts";
import { type Ctx, type Module, type Scope, batchNorm2d, conv2d, globalPool, identity, maxPool2d, relu, sequential } from "../nn/layers.ts";
import { type CatalogEntry, type NetBuilder, buildHead, mini, pretrained } from "../nn/net.ts";

export interface DlaConfig {
  /** Conv stages of level0 and level1, then the tree depth of level2..level5. */
  readonly levels: readonly [number, number, number, number, number, number];
  readonly channels: readonly [number, number, number, number, number, number];
  readonly cardinality: number;
  readonly baseWidth: number;
  /**
   * base_layer's kernel: 7 upstream; the mini's 3 (tfjs-cpu's filter gradient of a 7x7 conv at
   * full resolution would dominate its gradient check).
   */
  readonly baseKernel: number;
}

/** DlaBottleneck (expansion 2): 1x1, grouped 3x3 (stride), 1x1, plus the given or identity shortcut. */
function bottleneck(s: Scope, inC: number, out: number, stride: number, cfg: DlaConfig) {
  const mid = Math.floor(Math.floor(out * (cfg.baseWidth / 64)) * cfg.cardinality / 2);
  const body = sequential(
    conv2d(s.at("conv1"), inC, mid, 1), batchNorm2d(s.at("bn1"), mid), relu,
    conv2d(s.at("conv2"), mid, mid, 3, { stride, padding: 1, groups: cfg.cardinality }), batchNorm2d(s.at("bn2"), mid), relu,
    conv2d(s.at("conv3"), mid, out, 1), batchNorm2d(s.at("bn3"), out),
  );
  return (x: tf.Tensor, ctx: Ctx, shortcut: tf.Tensor = x) => tf.relu(tf.add(body(x, ctx), shortcut));
}

type Tree = (x: tf.Tensor, ctx: Ctx, children?: tf.Tensor[]) => tf.Tensor;

/**
 * DlaTree. `children` are the extra root inputs handed down (the level root's downsampled input,
 * the first subtree's output); only one-level trees have a root, and only they use `project`.
 */
function tree(s: Scope, levels: number, inC: number, out: number, stride: number, levelRoot: boolean, rootDim: number, cfg: DlaConfig): Tree {
  const rootIn = (rootDim || 2 * out) + (levelRoot ? inC : 0);
  const downsample: Module = stride > 1 ? maxPool2d(stride, stride) : identity;
  if (levels > 1) {
    const tree1 = tree(s.at("tree1"), levels - 1, inC, out, stride, false, 0, cfg);
    const tree2 = tree(s.at("tree2"), levels - 1, out, out, 1, false, rootIn + out, cfg);
    return (x, ctx, children = []) => {
      const x1 = tree1(x, ctx);
      return tree2(x1, ctx, [...children, ...(levelRoot ? [downsample(x, ctx)] : []), x1]);
    };
  }
  const tree1 = bottleneck(s.at("tree1"), inC, out, stride, cfg);
  const tree2 = bottleneck(s.at("tree2"), out, out, 1, cfg);
  const project: Module = inC === out ? identity : sequential(conv2d(s.at("project").at(0), inC, out, 1), batchNorm2d(s.at("project").at(1), out));
  const root = sequential(conv2d(s.at("root").at("conv"), rootIn, out, 1), batchNorm2d(s.at("root").at("bn"), out), relu);
  return (x, ctx, children = []) => {
    const bottom = downsample(x, ctx);
    const x1 = tree1(x, ctx, project(bottom, ctx));
    const x2 = tree2(x1, ctx);
    return root(tf.concat([x2, x1, ...children, ...(levelRoot ? [bottom] : [])], 3), ctx);
  };
}

function convLevel(s: Scope, inC: number, out: number, convs: number, stride: number): Module {
  const mods: Module[] = [];
  for (let i = 0; i < convs; i++) {
    mods.push(conv2d(s.at(3 * i), i === 0 ? inC : out, out, 3, { stride: i === 0 ? stride : 1, padding: 1 }), batchNorm2d(s.at(3 * i + 1), out), relu);
  }
  return sequential(...mods);
}

/**
 * The official ucbdrive checkpoints also hold a `project` for every deeper tree whose width
 * changes, which their forward never used (timm dropped it and loads them non-strictly); those
 * tensors are removed here so both layouts load strictly.
 */
function unusedProjects(cfg: DlaConfig): string[] {
  const prefixes: string[] = [];
  const visit = (prefix: string, levels: number, inC: number, out: number) => {
    if (levels === 1) return;
    if (inC !== out) prefixes.push(`${prefix}.project.`);
    visit(`${prefix}.tree1`, levels - 1, inC, out);
    visit(`${prefix}.tree2`, levels - 1, out, out);
  };
  for (let l = 2; l <= 5; l++) visit(`level${l}`, cfg.levels[l], cfg.channels[l - 1], cfg.channels[l]);
  return prefixes;
}

/**
 * Each tree halves its input twice over, by max pooling (floor) for the shortcut and by a strided
 * conv (ceil) for the branch, so level2..level5 need even sizes: ceil(side / 2) a multiple of 16.
 * timm fails on other sizes with a shape mismatch; this says why.
 */
function checkInputSize(x: tf.Tensor4D): void {
  const [, h, w] = x.shape;
  if (Math.ceil(h / 2) % 16 !== 0 || Math.ceil(w / 2) % 16 !== 0) {
    throw new InputError(`backbone family "dla"`, `a ${h}x${w} input does not fit: every aggregation level halves an even size, so each side must be a multiple of 32 (or one less), e.g. 224`);
  }
}

export function dla(cfg: DlaConfig): NetBuilder {
  return (root, { numClasses, pooling }) => {
    const ch = cfg.channels;
    const base = sequential(conv2d(root.at("base_layer").at(0), 3, ch[0], cfg.baseKernel, { padding: cfg.baseKernel >> 1 }), batchNorm2d(root.at("base_layer").at(1), ch[0]), relu);
    const level0 = convLevel(root.at("level0"), ch[0], ch[0], cfg.levels[0], 1);
    const level1 = convLevel(root.at("level1"), ch[0], ch[1], cfg.levels[1], 2);
    const trees = [2, 3, 4, 5].map((l) => tree(root.at(`level${l}`), cfg.levels[l], ch[l - 1], ch[l], 2, l > 2, 0, cfg));
    const pool = globalPool(root.at("pool"), pooling);
    buildHead(root, "fc", ch[5], numClasses, "pointwise");
    const dropped = unusedProjects(cfg);
    return {
      features: (x: tf.Tensor4D, ctx) => {
        checkInputSize(x);
        return pool(trees.reduce((h, t) => t(h, ctx), level1(level0(base(x, ctx), ctx), ctx)));
      },
      headName: "fc",
      headIn: ch[5],
      headKind: "pointwise",
      adaptCheckpoint: (tensors: TensorMap) =>
        dropped.length === 0 ? tensors : new Map([...tensors].filter(([name]) => !dropped.some((p) => name.startsWith(p)))),
    };
  };
}

const DLA46_C: DlaConfig = { levels: [1, 1, 1, 2, 2, 1], channels: [16, 32, 64, 64, 128, 256], cardinality: 1, baseWidth: 64, baseKernel: 7 };

// timm pretrained_cfg: 224, crop_pct 0.875, bilinear, ImageNet mean/std (the catalog defaults).
const timm = (id: string, params: number, imagenetTop1: number) => ({
  id, source: "timm" as const, upstreamName: `timm ${id} (ucbdrive DLA weights)`, params, imagenetTop1,
});

export const DLA_BACKBONES: readonly CatalogEntry[] = [
  pretrained(timm("dla46_c.in1k", 1_301_400, 64.9), dla(DLA46_C), "DLA46 c"),
  pretrained(timm("dla46x_c.in1k", 1_068_440, 66.0), dla({ ...DLA46_C, cardinality: 32, baseWidth: 4 }), "DLA46x c"),
  // every tree shape of the 46-C models (one-level with and without project, a two-level level
  // root) at a few channels, grouped bottlenecks as in DLA-X; 64x64 inputs, since at 32x32 the
  // last level is 1x1 and batch norm over 2 samples there (the roots have no shortcut around it)
  // leaves gradients too ill-conditioned to compare
  mini("dla_mini.random", 9_632, dla({ levels: [1, 1, 1, 2, 1, 1], channels: [2, 8, 8, 16, 16, 32], cardinality: 2, baseWidth: 16, baseKernel: 3 }), 64),
];
