/**
 * A port of numpy's legacy `RandomState` (MT19937, `init_genrand` seeding) for the draws the
 * reference code made with the global `np.random`: `seed`, `randint`, `permutation`, `shuffle`,
 * `choice(..., replace=False)` and `random_sample`. Same seed, same numbers as numpy >= 1.17's
 * `np.random.RandomState` (whose legacy stream is frozen by numpy's compatibility policy).
 */

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

export class NumpyRandomState {
  readonly #mt = new Uint32Array(N);
  #pos = N;

  constructor(seed = 0) {
    this.seed(seed);
  }

  /** `np.random.seed(seed)` for an integer seed in [0, 2**32 - 1] (numpy's `init_genrand`). */
  seed(seed: number): this {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`NumpyRandomState.seed: seed must be an integer between 0 and 2**32 - 1, got ${seed}`);
    }
    const mt = this.#mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.#pos = N;
    return this;
  }

  /** The next raw 32-bit output (numpy's `next_uint32`). */
  nextUint32(): number {
    if (this.#pos >= N) this.#generate();
    let y = this.#mt[this.#pos++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** numpy's `random_sample()`: 53-bit double in [0, 1). */
  randomSample(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /**
   * numpy's `random_interval(max)`: uniform integer in [0, max] inclusive by masked rejection,
   * the primitive behind `shuffle`/`permutation`. `max` must be below 2**32.
   */
  randomInteger(max: number): number {
    if (!Number.isInteger(max) || max < 0 || max > 0xffffffff) {
      throw new RangeError(`NumpyRandomState.randomInteger: max must be an integer in [0, 2**32 - 1], got ${max}`);
    }
    if (max === 0) return 0;
    const mask = smallestMask(max);
    let value: number;
    do value = (this.nextUint32() & mask) >>> 0;
    while (value > max);
    return value;
  }

  /**
   * `randint(low, high)` (or `randint(high)`, low = 0) with numpy's default int64 dtype: a
   * uniform integer in [low, high). Ranges wider than 2**32 are not supported.
   */
  randint(low: number, high?: number): number {
    const lo = high === undefined ? 0 : low;
    const hi = high ?? low;
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || hi <= lo) {
      throw new RangeError(`NumpyRandomState.randint: need integers low < high, got low=${lo}, high=${hi}`);
    }
    const range = hi - lo - 1;
    if (range > 0xffffffff) throw new RangeError(`NumpyRandomState.randint: ranges above 2**32 are not supported (got ${range + 1})`);
    if (range === 0) return lo;
    // numpy draws a raw 32-bit output (no masking) when the range is exactly 2**32.
    if (range === 0xffffffff) return lo + this.nextUint32();
    return lo + this.randomInteger(range);
  }

  /** In-place Fisher-Yates from the last index down to 1, as numpy's legacy `shuffle`. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.randomInteger(i);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** `permutation(n)`: a shuffled `arange(n)`; `permutation(array)`: a shuffled copy. */
  permutation(n: number): number[];
  permutation<T>(items: readonly T[]): T[];
  permutation<T>(arg: number | readonly T[]): (number | T)[] {
    if (typeof arg === "number") {
      if (!Number.isInteger(arg) || arg < 0) throw new RangeError(`NumpyRandomState.permutation: n must be a non-negative integer, got ${arg}`);
      return this.shuffle(Array.from({ length: arg }, (_, i) => i));
    }
    return this.shuffle(arg.slice());
  }

  /**
   * `choice(a, k, replace=False)` without weights: `a[permutation(len(a))[:k]]`. The whole
   * permutation is drawn even when k < len(a), as numpy does, so later draws line up.
   */
  choice(n: number, k: number, options: { replace: false }): number[];
  choice<T>(items: readonly T[], k: number, options: { replace: false }): T[];
  choice<T>(arg: number | readonly T[], k: number, options: { replace: false }): (number | T)[] {
    if (options.replace !== false) throw new RangeError("NumpyRandomState.choice: only replace: false is implemented");
    const size = typeof arg === "number" ? arg : arg.length;
    if (!Number.isInteger(k) || k < 0 || k > size) {
      throw new RangeError(`NumpyRandomState.choice: cannot take a sample of ${k} from ${size} without replacement`);
    }
    const picked = this.permutation(size).slice(0, k);
    return typeof arg === "number" ? picked : picked.map((i) => arg[i]);
  }

  #generate(): void {
    const mt = this.#mt;
    let i = 0;
    for (; i < N - M; i++) {
      const y = (mt[i] & UPPER_MASK) | (mt[i + 1] & LOWER_MASK);
      mt[i] = mt[i + M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (; i < N - 1; i++) {
      const y = (mt[i] & UPPER_MASK) | (mt[i + 1] & LOWER_MASK);
      mt[i] = mt[i + (M - N)] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    const y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
    mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    this.#pos = 0;
  }
}

/** Smallest all-ones bit mask >= max (max < 2**32). */
function smallestMask(max: number): number {
  let mask = max >>> 0;
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  return mask >>> 0;
}
