/** The timed windows of the training and families benches, and their median. */

/** The middle value, or the mean of the middle two. */
export function median(values: readonly number[]): number {
  const s = values.slice().sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** `windows` windows of `steps` calls of `step` on batches of `batch` images: images/s by the wall clock and per second of this process's CPU time. */
export function timeWindows(step: () => void, steps: number, batch: number, windows: number): { rates: number[]; cpuRates: number[] } {
  const rates: number[] = [];
  const cpuRates: number[] = [];
  for (let w = 0; w < windows; w++) {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    for (let i = 0; i < steps; i++) step();
    const cpu = process.cpuUsage(cpuStart);
    rates.push((steps * batch) / ((performance.now() - start) / 1000));
    cpuRates.push((steps * batch) / ((cpu.user + cpu.system) / 1e6));
  }
  return { rates, cpuRates };
}
