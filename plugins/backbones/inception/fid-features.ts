/**
 * FID's image features as pytorch-fid computes them: its `InceptionV3` wrapper with the default
 * `output_blocks=[3]`, `resize_input=True` and `normalize_input=True`.
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../../../core/errors.ts";
import type { NetBackbone } from "../nn/net.ts";

/** The FID Inception ids and the square size pytorch-fid resizes to (the test-only mini: its own input). */
export const FID_RESIZE: Readonly<Record<string, number>> = {
  "inception_v3.pytorch_fid": 299,
  "fid_inception_mini.random": 107,
};

/**
 * pool3 features of `images` (NHWC float32 in [0, 1], any height and width, 3 channels):
 * bilinear resize to 299x299 (`F.interpolate(..., align_corners=False)`: half-pixel centres, no
 * antialiasing, aspect ratio not kept), `2x - 1`, then the FID Inception's 2048-d global average
 * pool in eval mode. Returns [n, 2048]; the caller owns (disposes) it, `images` is left alone.
 * `backbone`: `createBackbone("inception_v3.pytorch_fid", { numClasses: 1008, weights })` with
 * avg pooling (the classifier is not used). The same as `backbone.forwardTap("fid", images)`.
 */
export function fidFeatures(backbone: NetBackbone, images: tf.Tensor4D): tf.Tensor2D {
  const id = backbone.meta.id;
  if (FID_RESIZE[id] === undefined) throw new InputError("fidFeatures", `FID features come from ${Object.keys(FID_RESIZE).join(" or ")}, got backbone "${id}"`);
  return backbone.forwardTap("fid", images);
}

/**
 * The FID Inception's `fid` feature output (see fidFeatures): checks `images`, resizes them to
 * `size` and scales them to [-1, 1] before `features` (the network up to pool3, eval mode).
 */
export function fidTap(size: number, gem: boolean, features: (x: tf.Tensor4D) => tf.Tensor2D): (images: tf.Tensor4D) => tf.Tensor2D {
  const where = "FID features";
  return (images) => {
    if (gem) throw new InputError(where, "the backbone was built with GeM pooling; FID's pool3 features are the plain average (pooling \"avg\")");
    if (images.rank !== 4 || images.shape[3] !== 3 || images.dtype !== "float32") {
      throw new InputError(where, `images must be a float32 [n, height, width, 3] (NHWC, RGB) tensor, got ${images.dtype} [${images.shape.join(", ")}]`);
    }
    if (images.shape[0] === 0) throw new InputError(where, "images is an empty batch");
    const [lo, hi] = tf.tidy(() => [tf.min(images), tf.max(images)]).map((t) => {
      const v = t.dataSync()[0];
      t.dispose();
      return v;
    });
    if (!(lo >= 0 && hi <= 1)) throw new InputError(where, `images must lie in [0, 1] (pytorch-fid's input range), got values from ${lo} to ${hi}`);
    return tf.tidy(() => features(tf.sub(tf.mul(tf.image.resizeBilinear(images, [size, size], false, true), 2), 1) as tf.Tensor4D));
  };
}
