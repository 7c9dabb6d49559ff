/**
 * Forward convolutions on xfer's routes, plain (`Conv2D`) and fused (`FusedConv2D`: bias and
 * activation, what eval-time batch-norm folding emits, plugins/backbones/nn/layers.ts `convBn`).
 * Both take the same route: Winograd where it applies (3x3, stride 1; winograd.ts), else the GEMM
 * over the kernel-row-stacked input (`stackedConv2D`, gemm-conv.ts) for any undilated NHWC
 * convolution. The fused one also adds the bias and applies linear / relu / relu6 (epilogue.ts:
 * inside Winograd's output transform, else in one SIMD pass over the output), where stock tfjs
 * would run XNNPACK's slower convolution, and keeps its filter prepared for the route between
 * calls (`PreparedFilters`); other activations, PReLU weights, a bias of another shape, and
 * dilated or NCHW convolutions keep the stock kernel.
 */
import { backend_util, type DataId, type NamedAttrMap, type TensorInfo, util } from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { Composer } from "./compose.ts";
import { applyEpilogue, isEpilogueActivation } from "./epilogue.ts";
import { stackedConv2D, stackedFilter } from "./gemm-conv.ts";
import { F2_TILE, F4_TILE, winogradApplies, winogradConv2D, winogradF4Pays, winogradFilter } from "./winograd.ts";

/**
 * Filters in the form a route multiplies by (Winograd's transformed U, the stacked GEMM's packed
 * panels), kept on the backend's heap between calls, per filter data: eval runs the same folded
 * filters batch after batch (plugins/backbones/nn/layers.ts `convBn`), and preparing them was most
 * of a small-image layer's time (ResNet-18 64px's 2x2x512 convolutions). Keyed by the filter's
 * `dataId`, which new data always gets (every kernel output, `Variable.assign`), and freed when the
 * backend frees that data: the backend's `disposeData` is wrapped to drop them with it.
 */
class PreparedFilters {
  readonly #byData = new Map<DataId, Map<string, TensorInfo>>();

  constructor(backend: BackendWasm) {
    const dispose = backend.disposeData.bind(backend);
    backend.disposeData = (dataId: DataId, force?: boolean): boolean => {
      const freed = dispose(dataId, force);
      if (freed) this.#drop(dataId, dispose);
      return freed;
    };
  }

  /**
   * `filter` prepared for `route`, by `prepare` on its first use; per shape too, as a reshape
   * shares its source's data.
   */
  get(filter: TensorInfo, route: "winograd-2" | "winograd-4" | "stacked", prepare: () => TensorInfo): TensorInfo {
    let routes = this.#byData.get(filter.dataId);
    if (routes === undefined) this.#byData.set(filter.dataId, routes = new Map());
    const key = `${route} ${filter.shape.join("x")}`;
    let prepared = routes.get(key);
    if (prepared === undefined) routes.set(key, prepared = prepare());
    return prepared;
  }

  /** Filters the cache holds (for tests). */
  get size(): number {
    return [...this.#byData.values()].reduce((sum, routes) => sum + routes.size, 0);
  }

  #drop(dataId: DataId, dispose: (dataId: DataId) => boolean): void {
    const routes = this.#byData.get(dataId);
    if (routes === undefined) return;
    this.#byData.delete(dataId);
    for (const prepared of routes.values()) dispose(prepared.dataId);
  }
}

const preparedFilters = new WeakMap<BackendWasm, PreparedFilters>();

/** The backend's prepared filters, installing the cache on first use. */
export function preparedFiltersOf(backend: BackendWasm): PreparedFilters {
  let cache = preparedFilters.get(backend);
  if (cache === undefined) preparedFilters.set(backend, cache = new PreparedFilters(backend));
  return cache;
}

export function conv2DInfo(x: TensorInfo, filter: TensorInfo, attrs: NamedAttrMap): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
    attrs.strides as number | [number, number], (attrs.dilations ?? 1) as number | [number, number],
    attrs.pad as "same", attrs.dimRoundingMode as "round" | undefined, false,
    backend_util.convertConv2DDataFormat((attrs.dataFormat ?? "NHWC") as "NHWC" | "NCHW"),
  );
}

/** y = x * filter by xfer's route for this convolution, or undefined where the stock kernel keeps it. */
export function xferConv2D(c: Composer, x: TensorInfo, filter: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo | undefined {
  if (winogradApplies(info)) return winogradConv2D(c, x, filter, info);
  if (stackedApplies(info)) return stackedConv2D(c, x, filter, info);
  return undefined;
}

function stackedApplies(info: backend_util.Conv2DInfo): boolean {
  return info.dataFormat === "channelsLast" && info.dilationHeight === 1 && info.dilationWidth === 1;
}

interface FusedConvArgs {
  inputs: { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
  backend: BackendWasm;
  attrs: NamedAttrMap;
}

/** `FusedConv2D` on xfer's route with the epilogue, or undefined where the stock kernel keeps it. */
export function xferFusedConv2D({ inputs: { x, filter, bias, preluActivationWeights }, backend, attrs }: FusedConvArgs): TensorInfo | undefined {
  const activation = attrs.activation ?? "linear";
  if (preluActivationWeights !== undefined || !isEpilogueActivation(activation) || x.dtype !== "float32") return undefined;
  const info = conv2DInfo(x, filter, attrs);
  if (bias !== undefined && (bias.dtype !== "float32" || util.sizeFromShape(bias.shape) !== info.outChannels)) return undefined;
  const winograd = winogradApplies(info);
  if (!winograd && !stackedApplies(info)) return undefined;
  const c = new Composer(backend);
  const prepared = preparedFiltersOf(backend);
  const withEpilogue = bias !== undefined || activation !== "linear";
  const zeros = withEpilogue && bias === undefined ? c.zeros([info.outChannels]) : undefined;
  const epilogue = withEpilogue ? { bias: (bias ?? zeros)!, activation } : undefined;
  let y: TensorInfo;
  if (winograd) {
    // The epilogue inside the output transform, on both threads, instead of a pass over y.
    const tile = winogradF4Pays(info) ? F4_TILE : F2_TILE;
    const transformed = prepared.get(filter, `winograd-${tile.m}`, () => winogradFilter(c, filter, info, tile));
    y = winogradConv2D(c, x, filter, info, undefined, { transformed, epilogue, tile });
  } else {
    y = stackedConv2D(c, x, filter, info, prepared.get(filter, "stacked", () => stackedFilter(c, filter, info)));
    if (epilogue !== undefined) applyEpilogue(backend, c.view(y), info.outChannels, c.view(epilogue.bias), activation);
  }
  if (zeros !== undefined) c.free(zeros);
  return y;
}
