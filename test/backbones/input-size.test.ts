// An input too small for an architecture's pooling windows fails with the reason, before any kernel
// runs (wasm read out of bounds there and broke every later run of the process): densenet_mini's
// last transition and alexnet_mini's pools on 28 px Fashion-MNIST images.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { createBackbone } from "../../plugins/backbones/index.ts";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("input size", () => {
  it.each([["densenet_mini.random", 28, 32], ["alexnet_mini.random", 32, 64]])("%s refuses %i px with the reason and runs at %i px", async (id, small, enough) => {
    const backbone = await createBackbone(id, { numClasses: 3 });
    try {
      const tooSmall = tf.zeros([1, small, small, 3]) as tf.Tensor4D;
      expect(() => backbone.forward(tooSmall)).toThrow(/pooling window does not fit its \d+x\d+ feature map: the input images are too small for this architecture/);
      tooSmall.dispose();
      const fits = tf.zeros([1, enough, enough, 3]) as tf.Tensor4D;
      const logits = backbone.forward(fits);
      expect(logits.shape).toEqual([1, 3]);
      tf.dispose([fits, logits]);
    } finally {
      backbone.dispose();
    }
  });
});
