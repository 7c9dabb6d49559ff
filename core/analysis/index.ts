export * from "./results.ts";
export * from "./report.ts";
export * from "./trend.ts";
export * from "./reasons.ts";
