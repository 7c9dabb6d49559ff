/**
 * Tensors by name as checkpoint files hold them: float32, row-major, in the layout of the
 * framework that wrote them (PyTorch layouts for imported weights). What every reader and writer
 * of a tensor file format (`safetensors.ts`, the backbones' `.pth` reader) exchanges.
 */
export interface CheckpointTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}
export type TensorMap = Map<string, CheckpointTensor>;
