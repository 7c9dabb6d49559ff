export * from "./datasets.ts";
export * from "./results.ts";
export * from "./report.ts";
export * from "./render.ts";
export * from "./trend.ts";
export * from "./reasons.ts";
export * from "./intervals.ts";
