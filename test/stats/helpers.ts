import { readFileSync } from "node:fs";
import { expect } from "vitest";

/** Statistics match to 1e-9 relative; p-values (special functions) to 1e-6 relative. */
export const REL = 1e-9;
export const REL_P = 1e-6;

export function expectClose(actual: number, expected: number, rel = REL, abs = 1e-14): void {
  const ok = Math.abs(actual - expected) <= rel * Math.abs(expected) + abs;
  if (!ok) expect.fail(`expected ${actual} to be within ${rel} (relative) of ${expected}`);
}

export function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel = REL, abs = 1e-14): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expectClose(actual[i], expected[i], rel, abs);
}

export function readParity<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../fixtures/parity/stats/${name}`, import.meta.url), "utf8")) as T;
}
