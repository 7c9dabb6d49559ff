export * from "./tensor-map.ts";
export * from "./safetensors.ts";
