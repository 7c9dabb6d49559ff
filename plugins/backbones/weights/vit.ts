/**
 * ViT checkpoint adaptation: timm ViT/DeiT names -> torchvision VisionTransformer names, and
 * torchvision's `interpolate_embeddings` (bicubic, align_corners=True, class token kept) so a
 * checkpoint trained at one resolution loads into a model built for another.
 */
import { InputError } from "../../../core/errors.ts";
import type { TensorMap } from "../../../core/formats/tensor-map.ts";

const TIMM_RULES: readonly [RegExp, string][] = [
  [/^cls_token$/, "class_token"],
  [/^pos_embed$/, "encoder.pos_embedding"],
  [/^patch_embed\.proj\.(weight|bias)$/, "conv_proj.$1"],
  [/^blocks\.(\d+)\.norm1\.(weight|bias)$/, "encoder.layers.encoder_layer_$1.ln_1.$2"],
  [/^blocks\.(\d+)\.attn\.qkv\.(weight|bias)$/, "encoder.layers.encoder_layer_$1.self_attention.in_proj_$2"],
  [/^blocks\.(\d+)\.attn\.proj\.(weight|bias)$/, "encoder.layers.encoder_layer_$1.self_attention.out_proj.$2"],
  [/^blocks\.(\d+)\.norm2\.(weight|bias)$/, "encoder.layers.encoder_layer_$1.ln_2.$2"],
  [/^blocks\.(\d+)\.mlp\.fc1\.(weight|bias)$/, "encoder.layers.encoder_layer_$1.mlp.0.$2"],
  [/^blocks\.(\d+)\.mlp\.fc2\.(weight|bias)$/, "encoder.layers.encoder_layer_$1.mlp.3.$2"],
  [/^norm\.(weight|bias)$/, "encoder.ln.$1"],
  [/^head\.(weight|bias)$/, "heads.head.$1"],
];

/** torchvision < 0.14 MLPBlock names (`mlp.linear_1`), still in its published ViT checkpoints. */
const LEGACY_MLP = /\.mlp\.linear_([12])\.(weight|bias)$/;

export function renameLegacyVitMlp(tensors: TensorMap): TensorMap {
  if (![...tensors.keys()].some((k) => LEGACY_MLP.test(k))) return tensors;
  return new Map([...tensors].map(([k, t]) => [k.replace(LEGACY_MLP, (_, i: string, leaf: string) => `.mlp.${i === "1" ? 0 : 3}.${leaf}`), t]));
}

/** Is this a timm ViT state_dict (rather than torchvision's)? */
export function isTimmVit(tensors: TensorMap): boolean {
  return tensors.has("cls_token") && tensors.has("pos_embed");
}

/** Renames a timm ViT/DeiT state_dict; a tensor no rule covers is an error naming it. */
export function timmVitToTorchvision(tensors: TensorMap, where: string): TensorMap {
  const out: TensorMap = new Map();
  for (const [name, t] of tensors) {
    const rule = TIMM_RULES.find(([re]) => re.test(name));
    if (!rule) throw new InputError(where, `timm ViT tensor "${name}" has no torchvision VisionTransformer counterpart`);
    out.set(name.replace(rule[0], rule[1]), t);
  }
  return out;
}

// torch's upsample_bicubic2d kernel (A = -0.75)
const A = -0.75;
const cc1 = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1;
const cc2 = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;

/** 1-D bicubic resampling weights, align_corners=True, indices clamped at the borders. */
function bicubicTaps(inSize: number, outSize: number): { idx: number[]; w: number[] }[] {
  const scale = outSize > 1 ? (inSize - 1) / (outSize - 1) : 0;
  return Array.from({ length: outSize }, (_, o) => {
    const src = o * scale;
    const x0 = Math.floor(src);
    const t = src - x0;
    const w = [cc2(t + 1), cc1(t), cc1(1 - t), cc2(2 - t)];
    const idx = [x0 - 1, x0, x0 + 1, x0 + 2].map((i) => Math.min(Math.max(i, 0), inSize - 1));
    return { idx, w };
  });
}

/** pos_embedding [1, 1 + g*g, D] -> [1, 1 + n*n, D], as torchvision's interpolate_embeddings. */
export function interpolatePosEmbedding(data: Float32Array, shape: readonly number[], newGrid: number, where: string): Float32Array {
  const [one, seq, d] = shape;
  const g = Math.round(Math.sqrt(seq - 1));
  if (one !== 1 || g * g !== seq - 1) throw new InputError(where, `position embedding shape [${shape.join(", ")}] is not [1, 1 + g*g, D]`);
  const taps = bicubicTaps(g, newGrid);
  // rows first (height), then columns, per channel; token layout is row-major (h, w)
  const tmp = new Float32Array(newGrid * g * d);
  for (let oy = 0; oy < newGrid; oy++) {
    for (let x = 0; x < g; x++) {
      for (let c = 0; c < d; c++) {
        let s = 0;
        for (let k = 0; k < 4; k++) s += taps[oy].w[k] * data[(1 + taps[oy].idx[k] * g + x) * d + c];
        tmp[(oy * g + x) * d + c] = s;
      }
    }
  }
  const out = new Float32Array((1 + newGrid * newGrid) * d);
  out.set(data.subarray(0, d));
  for (let oy = 0; oy < newGrid; oy++) {
    for (let ox = 0; ox < newGrid; ox++) {
      for (let c = 0; c < d; c++) {
        let s = 0;
        for (let k = 0; k < 4; k++) s += taps[ox].w[k] * tmp[(oy * g + taps[ox].idx[k]) * d + c];
        out[(1 + oy * newGrid + ox) * d + c] = s;
      }
    }
  }
  return out;
}
