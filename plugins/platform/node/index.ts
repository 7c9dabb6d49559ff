/** Node runtime adapters for datasets: file access, sharp decoding, cached concurrent loading. */
export { NodeIO } from "./node-io.ts";
export { SharpDecoder, targetSize, type SharpDecoderOptions } from "./sharp-decoder.ts";
export { cachedDataset, ImageLoader, type ImageLoaderOptions } from "./image-loader.ts";
export { nodeDatasetContext } from "./context.ts";
export { NodeSampleWorkers, type SampleWorkersOptions } from "./sample-workers.ts";
