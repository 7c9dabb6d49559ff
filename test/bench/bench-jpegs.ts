/** The benches' generated JPEGs (never committed): photo-like content, smooth colour fields plus noise, so file sizes are realistic. */
import sharp from "sharp";
import { SeedTree } from "../../core/rng.ts";

/** Image `i` of the seeded bench set, a `size` x `size` RGB JPEG at quality 90. */
export async function benchJpeg(i: number, size: number): Promise<Buffer> {
  const rng = new SeedTree(7).stream("bench-image", i);
  const [fx, fy, phase] = [rng.range(1, 6), rng.range(1, 6), rng.range(0, 6.28)];
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const base = 128 + 90 * Math.sin((fx * x) / size * 6.28 + phase) * Math.cos((fy * y) / size * 6.28);
      for (let c = 0; c < 3; c++) data[(y * size + x) * 3 + c] = Math.max(0, Math.min(255, base + 30 * c - 30 + rng.int(21) - 10));
    }
  }
  return sharp(data, { raw: { width: size, height: size, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}
