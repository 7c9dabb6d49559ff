/**
 * The Inception-v3 FID is defined with, as pytorch-fid's `fid_inception_v3()` builds it
 * (src/pytorch_fid/inception.py): torchvision's Inception3 with 1008 classes and no AuxLogits,
 * whose Mixed_5b..5d, 6b..6e, 7b and 7c are FIDInceptionA / C / E_1 / E_2. These differ from
 * torchvision's blocks in their pool branch only: the 3x3 average pool excludes the padding
 * (TensorFlow's), and E_2 (Mixed_7c) max-pools instead. Names are torchvision's.
 */
import * as tf from "@tensorflow/tfjs";
import { type Ctx, type Module, type Scope, dropout, globalPool, maxPool2d, sequential } from "../nn/layers.ts";
import { type NetBuilder, buildHead } from "../nn/net.ts";
import { type Width, avgPool3x3ExcludePad, checkInputSize, concatBranches, convBnRelu, inceptionStem } from "./layers.ts";
import { fidTap } from "./fid-features.ts";

/** pytorch-fid resizes every image to 299x299 (the mini: to its own input size). */
const FID_INPUT = 299;

/** A block and the channels it outputs. */
interface Block {
  readonly mod: Module;
  readonly out: number;
}

function inceptionA(s: Scope, cin: number, poolFeatures: number, w: Width): Block {
  const c = (name: string, inC: number, outC: number, k: number, padding = 0) => convBnRelu(s.at(name), inC, w(outC), k, { padding });
  return {
    mod: concatBranches([
      c("branch1x1", cin, 64, 1),
      sequential(c("branch5x5_1", cin, 48, 1), c("branch5x5_2", w(48), 64, 5, 2)),
      sequential(c("branch3x3dbl_1", cin, 64, 1), c("branch3x3dbl_2", w(64), 96, 3, 1), c("branch3x3dbl_3", w(96), 96, 3, 1)),
      sequential(avgPool3x3ExcludePad, c("branch_pool", cin, poolFeatures, 1)),
    ]),
    out: 2 * w(64) + w(96) + w(poolFeatures),
  };
}

/** torchvision InceptionB (Mixed_6a), unchanged by pytorch-fid. */
function inceptionB(s: Scope, cin: number, w: Width): Block {
  return {
    mod: concatBranches([
      convBnRelu(s.at("branch3x3"), cin, w(384), 3, { stride: 2 }),
      sequential(
        convBnRelu(s.at("branch3x3dbl_1"), cin, w(64), 1),
        convBnRelu(s.at("branch3x3dbl_2"), w(64), w(96), 3, { padding: 1 }),
        convBnRelu(s.at("branch3x3dbl_3"), w(96), w(96), 3, { stride: 2 }),
      ),
      maxPool2d(3, 2),
    ]),
    out: w(384) + w(96) + cin,
  };
}

function inceptionC(s: Scope, cin: number, c7: number, w: Width): Block {
  const k = w(c7);
  const row = (name: string, inC: number, outC: number) => convBnRelu(s.at(name), inC, outC, [1, 7], { padding: [0, 3] });
  const col = (name: string, inC: number, outC: number) => convBnRelu(s.at(name), inC, outC, [7, 1], { padding: [3, 0] });
  return {
    mod: concatBranches([
      convBnRelu(s.at("branch1x1"), cin, w(192), 1),
      sequential(convBnRelu(s.at("branch7x7_1"), cin, k, 1), row("branch7x7_2", k, k), col("branch7x7_3", k, w(192))),
      sequential(
        convBnRelu(s.at("branch7x7dbl_1"), cin, k, 1), col("branch7x7dbl_2", k, k), row("branch7x7dbl_3", k, k),
        col("branch7x7dbl_4", k, k), row("branch7x7dbl_5", k, w(192)),
      ),
      sequential(avgPool3x3ExcludePad, convBnRelu(s.at("branch_pool"), cin, w(192), 1)),
    ]),
    out: 4 * w(192),
  };
}

/** torchvision InceptionD (Mixed_7a), unchanged by pytorch-fid. */
function inceptionD(s: Scope, cin: number, w: Width): Block {
  return {
    mod: concatBranches([
      sequential(convBnRelu(s.at("branch3x3_1"), cin, w(192), 1), convBnRelu(s.at("branch3x3_2"), w(192), w(320), 3, { stride: 2 })),
      sequential(
        convBnRelu(s.at("branch7x7x3_1"), cin, w(192), 1),
        convBnRelu(s.at("branch7x7x3_2"), w(192), w(192), [1, 7], { padding: [0, 3] }),
        convBnRelu(s.at("branch7x7x3_3"), w(192), w(192), [7, 1], { padding: [3, 0] }),
        convBnRelu(s.at("branch7x7x3_4"), w(192), w(192), 3, { stride: 2 }),
      ),
      maxPool2d(3, 2),
    ]),
    out: w(320) + w(192) + cin,
  };
}

/** FIDInceptionE_1 (`pool` "avg", padding excluded) and FIDInceptionE_2 (`pool` "max"). */
function inceptionE(s: Scope, cin: number, pool: "avg" | "max", w: Width): Block {
  const pair = (name: string, inC: number) => concatBranches([
    convBnRelu(s.at(`${name}a`), inC, w(384), [1, 3], { padding: [0, 1] }),
    convBnRelu(s.at(`${name}b`), inC, w(384), [3, 1], { padding: [1, 0] }),
  ]);
  return {
    mod: concatBranches([
      convBnRelu(s.at("branch1x1"), cin, w(320), 1),
      sequential(convBnRelu(s.at("branch3x3_1"), cin, w(384), 1), pair("branch3x3_2", w(384))),
      sequential(
        convBnRelu(s.at("branch3x3dbl_1"), cin, w(448), 1),
        convBnRelu(s.at("branch3x3dbl_2"), w(448), w(384), 3, { padding: 1 }),
        pair("branch3x3dbl_3", w(384)),
      ),
      sequential(pool === "avg" ? avgPool3x3ExcludePad : maxPool2d(3, 1, 1), convBnRelu(s.at("branch_pool"), cin, w(192), 1)),
    ]),
    out: w(320) + 4 * w(384) + w(192),
  };
}

/** FIDInceptionA blocks with their pool_features, FIDInceptionC blocks with their channels_7x7. */
const A_BLOCKS = [["Mixed_5b", 32], ["Mixed_5c", 64], ["Mixed_5d", 64]] as const;
const C_BLOCKS = [["Mixed_6b", 128], ["Mixed_6c", 160], ["Mixed_6d", 160], ["Mixed_6e", 192]] as const;

/**
 * FID Inception-v3 with output widths ceil(w / div) and the first `counts` A and C blocks (all of
 * them published). Features are the 2048-d global average pool of Mixed_7c (pytorch-fid's pool3),
 * then torchvision's dropout 0.5 (training only) before `fc`.
 */
export function fidInceptionV3(div = 1, counts: { readonly a: number; readonly c: number } = { a: 3, c: 4 }): NetBuilder {
  return (root, { numClasses, pooling, inputSize }) => {
    const w: Width = (n) => Math.ceil(n / div);
    const stem = inceptionStem(root, ["Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "Conv2d_3b_1x1", "Conv2d_4a_3x3"], w);
    const blocks: Module[] = [stem];
    let c = w(192);
    const add = (b: Block) => { blocks.push(b.mod); c = b.out; };
    A_BLOCKS.slice(0, counts.a).forEach(([name, poolFeatures]) => add(inceptionA(root.at(name), c, poolFeatures, w)));
    add(inceptionB(root.at("Mixed_6a"), c, w));
    C_BLOCKS.slice(0, counts.c).forEach(([name, c7]) => add(inceptionC(root.at(name), c, c7, w)));
    add(inceptionD(root.at("Mixed_7a"), c, w));
    add(inceptionE(root.at("Mixed_7b"), c, "avg", w));
    add(inceptionE(root.at("Mixed_7c"), c, "max", w));
    const body = sequential(...blocks);
    const pool = globalPool(root.at("pool"), pooling);
    buildHead(root, "fc", c, numClasses);
    const drop = dropout(0.5);
    const features = (x: tf.Tensor4D, ctx: Ctx) => {
      checkInputSize("inception_v3 (FID)", x);
      return drop(pool(body(x, ctx)), ctx);
    };
    const fid = fidTap(inputSize ?? FID_INPUT, pooling === "gem", (x) => pool(body(x, { training: false, rng: null })));
    return {
      features,
      headName: "fc",
      headIn: c,
      taps: { fid: (x: tf.Tensor4D) => fid(x) },
    };
  };
}
