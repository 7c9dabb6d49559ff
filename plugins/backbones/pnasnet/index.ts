/**
 * timm PNASNet-5 large (timm/models/pnasnet.py, `pnasnet5large`: pad_type "same"), under timm's
 * state_dict names so its checkpoint loads strictly. timm's "same" is TensorFlow's SAME padding:
 * at stride 2 it depends on the input size and puts the odd extra cell after (bottom/right); at
 * stride 1 it is the static symmetric (k-1)/2. Every BatchNorm has eps 0.001. timm's default
 * drop_rate is 0, so nothing drops before `last_linear`.
 */
import * as tf from "@tensorflow/tfjs";
import { type Ctx, type Module, type Scope, batchNorm2d, conv2d, globalPool, relu, sequential } from "../nn/layers.ts";
import { type CatalogEntry, type NetBuilder, buildHead, mini, pretrained } from "../nn/net.ts";

const BN_EPS = 1e-3;

/**
 * timm create_conv2d(padding="same"), bias-free. tfjs's "same" is TensorFlow's SAME: at stride 1
 * the static (k-1)/2 timm uses, at stride 2 timm's Conv2dSame (per input size, the odd extra row
 * or column after).
 */
function convSame(s: Scope, inC: number, outC: number, k: number, stride = 1, depthwise = false): Module {
  const name = s.name("weight");
  s.store.add(name, [outC, depthwise ? 1 : inC, k, k], depthwise ? "depthwise" : "conv", { kind: "normal", std: Math.sqrt(2 / ((depthwise ? 1 : outC) * k * k)) });
  return (x) => {
    const w = s.store.get(name) as tf.Tensor4D;
    return depthwise ? tf.depthwiseConv2d(x as tf.Tensor4D, w, stride, "same") : tf.conv2d(x as tf.Tensor4D, w, stride, "same");
  };
}

/** timm create_pool2d("max", 3, stride, padding="same"): tfjs's "same" max pool ignores padded cells (-inf). */
function maxPoolSame(stride: number): Module {
  return (x) => tf.maxPool(x as tf.Tensor4D, 3, stride, "same");
}

function separable(s: Scope, inC: number, outC: number, k: number, stride: number): Module {
  return sequential(convSame(s.at("depthwise_conv2d"), inC, inC, k, stride, true), convSame(s.at("pointwise_conv2d"), inC, outC, 1));
}

/** ReLU, separable conv, BN, ReLU, separable conv, BN; a stem cell widens in the first one. */
function branchSeparables(s: Scope, inC: number, outC: number, k: number, stride = 1, stemCell = false): Module {
  const mid = stemCell ? outC : inC;
  return sequential(
    relu, separable(s.at("separable_1"), inC, mid, k, stride), batchNorm2d(s.at("bn_sep_1"), mid, BN_EPS),
    relu, separable(s.at("separable_2"), mid, outC, k, 1), batchNorm2d(s.at("bn_sep_2"), outC, BN_EPS),
  );
}

function actConvBn(s: Scope, inC: number, outC: number, stride = 1): Module {
  return sequential(relu, convSame(s.at("conv"), inC, outC, 1, stride), batchNorm2d(s.at("bn"), outC, BN_EPS));
}

/**
 * Halves a left input twice the right one's size: two 1x1 convs on every other pixel, the second
 * path shifted by one (timm: ZeroPad2d((-1, 1, -1, 1)), i.e. crop the first row and column and add
 * a zero one at the end, then AvgPool2d(1, stride 2)), concatenated and batch-normalised.
 */
function factorizedReduction(s: Scope, inC: number, outC: number): Module {
  const path1 = conv2d(s.at("path_1").at("conv"), inC, outC / 2, 1, { stride: 2 });
  const path2 = conv2d(s.at("path_2").at("conv"), inC, outC / 2, 1, { stride: 2 });
  const norm = batchNorm2d(s.at("final_path_bn"), outC, BN_EPS);
  return (x, ctx) => {
    const a = tf.relu(x);
    const shifted = tf.pad(tf.slice(a, [0, 1, 1, 0]), [[0, 0], [0, 1], [0, 1], [0, 0]]);
    return norm(tf.concat([path1(a, ctx), path2(shifted, ctx)], 3), ctx);
  };
}

interface CellBranches {
  readonly left0: Module; readonly right0: Module; readonly left1: Module; readonly right1: Module;
  readonly left2: Module; readonly right2: Module; readonly left3: Module; readonly right3: Module;
  readonly left4: Module; readonly right4: Module | null;
}

/** timm CellBase.cell_forward: five pairwise sums, concatenated. */
function cellForward(b: CellBranches, xl: tf.Tensor, xr: tf.Tensor, ctx: Ctx): tf.Tensor {
  const c0 = tf.add(b.left0(xl, ctx), b.right0(xl, ctx));
  const c1 = tf.add(b.left1(xr, ctx), b.right1(xr, ctx));
  const c2 = tf.add(b.left2(xr, ctx), b.right2(xr, ctx));
  const c3 = tf.add(b.left3(c2, ctx), b.right3(xr, ctx));
  const c4 = tf.add(b.left4(xl, ctx), b.right4 ? b.right4(xr, ctx) : xr);
  return tf.concat([c0, c1, c2, c3, c4], 3);
}

function cellStem0(s: Scope, inC: number, width: number): Module {
  const conv1x1 = actConvBn(s.at("conv_1x1"), inC, width);
  const r0 = s.at("comb_iter_0_right");
  const b: CellBranches = {
    left0: branchSeparables(s.at("comb_iter_0_left"), inC, width, 5, 2, true),
    right0: sequential(maxPoolSame(2), convSame(r0.at("conv"), inC, width, 1), batchNorm2d(r0.at("bn"), width, BN_EPS)),
    left1: branchSeparables(s.at("comb_iter_1_left"), width, width, 7, 2),
    right1: maxPoolSame(2),
    left2: branchSeparables(s.at("comb_iter_2_left"), width, width, 5, 2),
    right2: branchSeparables(s.at("comb_iter_2_right"), width, width, 3, 2),
    left3: branchSeparables(s.at("comb_iter_3_left"), width, width, 3),
    right3: maxPoolSame(2),
    left4: branchSeparables(s.at("comb_iter_4_left"), inC, width, 3, 2, true),
    right4: actConvBn(s.at("comb_iter_4_right"), width, width, 2),
  };
  return (x, ctx) => cellForward(b, x, conv1x1(x, ctx), ctx);
}

type CellModule = (left: tf.Tensor, right: tf.Tensor, ctx: Ctx) => tf.Tensor;

/** timm Cell; `matchPrev`: the left input is twice the right's size (FactorizedReduction). */
function cell(s: Scope, inLeft: number, inRight: number, width: number, reduction: boolean, matchPrev: boolean): CellModule {
  const stride = reduction ? 2 : 1;
  const prev = matchPrev ? factorizedReduction(s.at("conv_prev_1x1"), inLeft, width) : actConvBn(s.at("conv_prev_1x1"), inLeft, width);
  const conv1x1 = actConvBn(s.at("conv_1x1"), inRight, width);
  const b: CellBranches = {
    left0: branchSeparables(s.at("comb_iter_0_left"), width, width, 5, stride),
    right0: maxPoolSame(stride),
    left1: branchSeparables(s.at("comb_iter_1_left"), width, width, 7, stride),
    right1: maxPoolSame(stride),
    left2: branchSeparables(s.at("comb_iter_2_left"), width, width, 5, stride),
    right2: branchSeparables(s.at("comb_iter_2_right"), width, width, 3, stride),
    left3: branchSeparables(s.at("comb_iter_3_left"), width, width, 3),
    right3: maxPoolSame(stride),
    left4: branchSeparables(s.at("comb_iter_4_left"), width, width, 3, stride),
    right4: reduction ? actConvBn(s.at("comb_iter_4_right"), width, width, stride) : null,
  };
  return (left, right, ctx) => cellForward(b, prev(left, ctx), conv1x1(right, ctx), ctx);
}

interface PnasnetConfig {
  /** conv_0's width and cell_stem_0's (its output has five times as many channels). */
  readonly stem: number;
  readonly stemCell: number;
  /** cell_stem_1, cell_0, cell_1, ...: width and whether the cell halves the resolution. */
  readonly cells: readonly (readonly [width: number, reduction: boolean])[];
}

const R = true;
const N = false;
const PNASNET5LARGE: PnasnetConfig = {
  stem: 96, stemCell: 54,
  cells: [[108, R], [216, N], [216, N], [216, N], [216, N], [432, R], [432, N], [432, N], [432, N], [864, R], [864, N], [864, N], [864, N]],
};
/**
 * Every cell kind: both stem cells, a normal cell with FactorizedReduction (cell_0) and a reduction
 * cell on an even-sized input (asymmetric SAME padding, where Cadene's port had `zero_pad`).
 */
const PNASNET_MINI: PnasnetConfig = { stem: 4, stemCell: 2, cells: [[4, R], [4, N], [8, R]] };

/**
 * Each cell takes the two previous outputs (left, right); a cell after a reduction gets a left
 * input twice its right one's size, so timm gives it match_prev_layer_dims.
 */
function pnasnet(config: PnasnetConfig): NetBuilder {
  return (root, { numClasses, pooling }) => {
    const c0 = root.at("conv_0");
    const conv0 = sequential(conv2d(c0.at("conv"), 3, config.stem, 3, { stride: 2 }), batchNorm2d(c0.at("bn"), config.stem, BN_EPS));
    const stem0 = cellStem0(root.at("cell_stem_0"), config.stem, config.stemCell);
    const channels = [config.stem, 5 * config.stemCell];
    let afterReduction = true;
    const cells = config.cells.map(([width, reduction], i) => {
      const m = cell(root.at(i === 0 ? "cell_stem_1" : `cell_${i - 1}`), channels[channels.length - 2], channels[channels.length - 1], width, reduction, afterReduction);
      channels.push(5 * width);
      afterReduction = reduction;
      return m;
    });
    const features = channels[channels.length - 1];
    const pool = globalPool(root.at("pool"), pooling);
    buildHead(root, "last_linear", features, numClasses);
    return {
      features: (x: tf.Tensor4D, ctx) => {
        let left = conv0(x, ctx);
        let right = stem0(left, ctx);
        for (const m of cells) [left, right] = [right, m(left, right, ctx)];
        return pool(tf.relu(right));
      },
      headName: "last_linear",
      headIn: features,
    };
  };
}

export const PNASNET_BACKBONES: readonly CatalogEntry[] = [
  pretrained({
    id: "pnasnet5large.tf_in1k", source: "timm", upstreamName: "timm pnasnet5large.tf_in1k (PNASNet-5 large, TensorFlow-Slim weights)",
    params: 86_057_668, imagenetTop1: 82.9, inputSize: 331, resizeSize: 363, interpolation: "bicubic", mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5],
  }, pnasnet(PNASNET5LARGE), "PNASNet-5 large"),
  mini("pnasnet_mini.random", 7_466, pnasnet(PNASNET_MINI)),
];
