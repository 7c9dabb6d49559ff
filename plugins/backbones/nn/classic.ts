/**
 * The classifier shared by torchvision's VGG and AlexNet: adaptive average pooling to a fixed
 * grid, torch-order flatten, then Linear-ReLU-Dropout stacks. Neither family has a global pool,
 * so GeM pooling is rejected for them.
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../../../core/errors.ts";
import { type Module, type Pooling, type Scope, adaptiveAvgPool2d, dropout, flattenTorch, linear, relu, sequential } from "./layers.ts";
import { type Net, buildHead } from "./net.ts";

export interface MlpHeadConfig {
  readonly pool: number;
  readonly hidden: number;
  /** Module indices inside `classifier`: VGG [Linear 0, Linear 3, head 6, dropout after ReLU]; AlexNet [Dropout 0, Linear 1, Linear 4, head 6]. */
  readonly style: "vgg" | "alexnet";
}

export function mlpClassifierNet(root: Scope, body: Module, channels: number, cfg: MlpHeadConfig, numClasses: number, pooling: Pooling, family: string): Net {
  if (pooling !== "avg") throw new InputError(`backbone family "${family}"`, `pooling "${pooling}" is not available: ${family} has no global pooling layer`);
  const c = root.at("classifier");
  const inF = channels * cfg.pool * cfg.pool;
  const mlp =
    cfg.style === "vgg"
      ? sequential(linear(c.at(0), inF, cfg.hidden), relu, dropout(0.5), linear(c.at(3), cfg.hidden, cfg.hidden), relu, dropout(0.5))
      : sequential(dropout(0.5), linear(c.at(1), inF, cfg.hidden), relu, dropout(0.5), linear(c.at(4), cfg.hidden, cfg.hidden), relu);
  buildHead(root, "classifier.6", cfg.hidden, numClasses);
  const pool = adaptiveAvgPool2d(cfg.pool, cfg.pool);
  return {
    features: (x: tf.Tensor4D, ctx) => mlp(flattenTorch(pool(body(x, ctx), ctx)), ctx),
    headName: "classifier.6",
    headIn: cfg.hidden,
  };
}
