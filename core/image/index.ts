/** Pure image ops on the `Image` type (HWC), with torchvision tensor semantics. See docs/training.md. */
export * from "./geometry.ts";
export * from "./color.ts";
export { bound, isU8, makeImage, roundHalfEven } from "./image.ts";
export { sampleDirichlet, sampleGamma } from "./sampling.ts";
export { cutmix, mixup, type Batch, type BatchAugmentation, type MixOptions } from "./batch.ts";
