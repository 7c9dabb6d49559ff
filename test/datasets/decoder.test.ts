import { readFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { InputError } from "../../core/index.ts";
import { classColor, encodeJpeg, encodePng, expectedPixels } from "../../fixtures/generators/datasets.ts";
import { SharpDecoder, targetSize } from "../../plugins/platform/node/index.ts";
import { FIXTURES, maxAbsDiff, meanAbsDiff, plane } from "./helpers.ts";

const decoder = new SharpDecoder();
const folder = (file: string) => readFile(join(FIXTURES, "image-folder", file));

describe("SharpDecoder", () => {
  it("decodes an RGB PNG to exactly the pixels written", async () => {
    const image = await decoder.decode(await folder("cat/cat_1.png"));
    expect([image.width, image.height, image.channels]).toEqual([20, 12, 3]);
    expect(image.data).toEqual(expectedPixels("image-folder", "cat/cat_1.png", 20, 12, classColor(0)));
  });

  it("keeps grayscale as one channel and replicates it for RGB", async () => {
    const bytes = await folder("cat/gray.png");
    const gray = await decoder.decode(bytes);
    expect(gray.channels).toBe(1);
    expect(gray.data).toEqual(expectedPixels("image-folder", "cat/gray.png", 20, 12, [classColor(0)[1]]));
    const rgb = await decoder.decode(bytes, { channels: 3 });
    for (let c = 0; c < 3; c++) expect(plane(rgb, c)).toEqual(gray.data);
  });

  it("converts RGB to gray with PIL's ITU-R 601-2 luma", async () => {
    const rgb = expectedPixels("decoder", "luma", 5, 4, [200, 30, 90]);
    const gray = await decoder.decode(await encodePng(rgb, 5, 4, 3), { channels: 1 });
    const pil = Uint8Array.from({ length: 20 }, (_, p) => (rgb[3 * p] * 19595 + rgb[3 * p + 1] * 38470 + rgb[3 * p + 2] * 7471 + 0x8000) >> 16);
    expect(gray.data).toEqual(pil);
  });

  it("reduces 16-bit PNGs to their high byte", async () => {
    const image = await decoder.decode(await folder("dog/rgb16.png"));
    expect(image.channels).toBe(3);
    expect(image.data).toEqual(expectedPixels("image-folder", "dog/rgb16.png", 20, 12, classColor(1)));
  });

  it("drops alpha without compositing, or keeps a fourth channel as data when asked", async () => {
    const bytes = await folder("cat/nested/rgba.png");
    const written = expectedPixels("image-folder", "cat/nested/rgba.png", 20, 12, [...classColor(0), 128]);
    expect((await decoder.decode(bytes)).channels).toBe(4);
    const rgb = await decoder.decode(bytes, { channels: 3 });
    expect(rgb.data).toEqual(written.filter((_, i) => i % 4 !== 3));
    const rgba = await decoder.decode(bytes, { channels: 4 });
    expect(rgba.data).toEqual(written);
    // Resizing four channels must not premultiply: the first three equal the resized RGB image.
    const small4 = await decoder.decode(bytes, { channels: 4, resize: [6, 10] });
    const small3 = await decoder.decode(bytes, { channels: 3, resize: [6, 10] });
    expect(Uint8Array.from(small4.data).filter((_, i) => i % 4 !== 3)).toEqual(small3.data);
  });

  it("applies EXIF orientation with orientation 'exif' and ignores it with 'stored'", async () => {
    const bytes = await folder("dog/exif6.jpg");
    const written = expectedPixels("image-folder", "dog/exif6.jpg", 20, 12, classColor(1));
    const stored = await decoder.decode(bytes, { orientation: "stored" });
    expect([stored.width, stored.height]).toEqual([20, 12]);
    expect(meanAbsDiff(stored.data, written)).toBeLessThan(2);
    const shown = await decoder.decode(bytes);
    expect([shown.width, shown.height]).toEqual([12, 20]);
    // Orientation 6 = rotate 90 degrees clockwise: shown(x, y) = stored(y, H - 1 - x).
    const rotated = new Uint8Array(written.length);
    for (let y = 0; y < 20; y++) {
      for (let x = 0; x < 12; x++) {
        for (let c = 0; c < 3; c++) rotated[(y * 12 + x) * 3 + c] = written[((11 - x) * 20 + y) * 3 + c];
      }
    }
    expect(meanAbsDiff(shown.data, rotated)).toBeLessThan(2);
  });

  it("swaps the first and third channels for channelOrder 'bgr'", async () => {
    const bytes = await folder("cat/nested/rgba.png");
    const rgb = await decoder.decode(bytes, { channels: 4 });
    const bgr = await decoder.decode(bytes, { channels: 4, channelOrder: "bgr" });
    expect([plane(bgr, 0), plane(bgr, 1), plane(bgr, 2), plane(bgr, 3)]).toEqual([plane(rgb, 2), plane(rgb, 1), plane(rgb, 0), plane(rgb, 3)]);
  });

  it("resizes while decoding exactly as decoding then resizing", async () => {
    for (const [name, bytes] of [
      ["jpeg", await encodeJpeg(expectedPixels("decoder", "jpeg", 48, 40, [90, 160, 70]), 48, 40)],
      ["png", await encodePng(expectedPixels("decoder", "png", 48, 40, [90, 160, 70]), 48, 40, 3)],
    ] as const) {
      for (const interpolation of ["bilinear", "bicubic", "nearest"] as const) {
        const direct = await decoder.decode(bytes, { resize: 17, interpolation });
        const twoStep = await decoder.convert(await decoder.decode(bytes), { resize: 17, interpolation });
        expect([direct.width, direct.height], name).toEqual([20, 17]);
        expect(maxAbsDiff(direct.data, twoStep.data), `${name} ${interpolation}`).toBe(0);
      }
    }
  });

  it("names the source of a corrupt or truncated file", async () => {
    await expect(decoder.decode(new Uint8Array([1, 2, 3, 4]), {}, "train_images/x.png")).rejects.toThrow(InputError);
    await expect(decoder.decode(new Uint8Array([1, 2, 3, 4]), {}, "train_images/x.png")).rejects.toThrow(/^train_images\/x\.png: cannot decode image/);
    const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#808080" } }).jpeg().toBuffer();
    await expect(decoder.decode(jpeg.subarray(0, jpeg.length >> 1), {}, "cut.jpg")).rejects.toThrow(/^cut\.jpg: cannot decode image/);
  });
});

describe("targetSize (torchvision Resize semantics)", () => {
  it("resizes the shorter side to `size` and truncates the longer one", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4000 }), fc.integer({ min: 1, max: 4000 }), fc.integer({ min: 1, max: 1000 }), (width, height, size) => {
        const out = targetSize({ width, height }, size);
        const short = Math.min(width, height);
        if (short === size) return out === undefined;
        const expectedLong = Math.trunc((size * Math.max(width, height)) / short);
        return width <= height
          ? out!.width === size && out!.height === expectedLong
          : out!.height === size && out!.width === expectedLong;
      }),
      { seed: 4242, numRuns: 500 },
    );
  });

  it("takes [height, width] literally", () => {
    expect(targetSize({ width: 20, height: 12 }, [7, 9])).toEqual({ width: 9, height: 7 });
    expect(targetSize({ width: 20, height: 12 }, [12, 20])).toBeUndefined();
  });
});

describe("SharpDecoder.convert", () => {
  it("resizes one-channel pixels to one channel", async () => {
    const gray = { width: 28, height: 28, channels: 1, data: expectedPixels("decoder", "gray", 28, 28, [120]) };
    const small = await decoder.convert(gray, { resize: 14 });
    expect([small.width, small.height, small.channels, small.data.length]).toEqual([14, 14, 1, 196]);
    const rgb = await decoder.convert(gray, { resize: 14, channels: 3 });
    for (let c = 0; c < 3; c++) expect(plane(rgb, c)).toEqual(small.data);
  });
});
