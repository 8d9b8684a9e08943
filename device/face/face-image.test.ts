import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { crc32, deflateSync } from "node:zlib";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { decodeFaceImage, type DecodedFaceImage } from "./face-image.js";

/** Bad input from outside is refused with its reason, never a crash or a gigabyte allocation. */
const PHOTO = readFileSync(fileURLToPath(new URL("../../../shared/faces/lfw/Abel_Pacheco/Abel_Pacheco_0001.jpg", import.meta.url)));

function errorCode(result: DecodedFaceImage): string {
  return result.ok ? "ok" : result.error.code;
}

/** A valid PNG of width x width 1-bit pixels: small on disk (zeros compress), huge when decoded. */
function bitmapPng(width: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(width, 4);
  header[8] = 1; // bit depth
  header[9] = 0; // greyscale
  const rows = deflateSync(Buffer.alloc((1 + Math.ceil(width / 8)) * width), { level: 9 });
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", header), chunk("IDAT", rows), chunk("IEND", Buffer.alloc(0))]);
}

/** The same JPEG with its frame header claiming other dimensions (a decompression-bomb header). */
function jpegClaiming(width: number, height: number): Buffer {
  const patched = Buffer.from(PHOTO);
  for (let i = 2; i < patched.length - 9; i++) {
    if (patched[i] === 0xff && (patched[i + 1] === 0xc0 || patched[i + 1] === 0xc2)) {
      patched.writeUInt16BE(height, i + 5);
      patched.writeUInt16BE(width, i + 7);
      return patched;
    }
  }
  throw new Error("no SOF marker in the test photo");
}

describe("decoding a face image from outside", () => {
  it("decodes a real photo to RGB, grayscale JPEG included", async () => {
    const result = await decodeFaceImage(PHOTO);
    expect(result.ok && { width: result.image.width, height: result.image.height, bytes: result.image.data.length }).toEqual({ width: 250, height: 250, bytes: 250 * 250 * 3 });
  });

  it("refuses an empty input", async () => {
    const result = await decodeFaceImage(new Uint8Array(0));
    expect(result).toMatchObject({ ok: false, error: { code: "empty", name: "FaceImageError" } });
  });

  it("refuses text, a PDF and random bytes as not an image", async () => {
    const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    for (const input of [Buffer.from("patient list, not a photo"), Buffer.from("%PDF-1.7\n1 0 obj << >> endobj\n"), random]) {
      expect(errorCode(await decodeFaceImage(input))).toBe("not_an_image");
    }
  });

  it("refuses a truncated JPEG, cut anywhere after its header, as corrupt", async () => {
    for (const share of [0.3, 0.6, 0.95]) {
      const result = await decodeFaceImage(PHOTO.subarray(0, Math.floor(PHOTO.length * share)));
      expect(result).toMatchObject({ ok: false, error: { code: "corrupt", context: { width: 250, height: 250, format: "jpeg" } } });
    }
  });

  it("refuses a JPEG whose entropy-coded data is damaged, rather than decoding garbage", async () => {
    const damaged = Buffer.from(PHOTO);
    for (let i = 800; i < 1400; i++) damaged[i] = (i * 37) & 0xff;
    expect(errorCode(await decodeFaceImage(damaged))).toBe("corrupt");
  });

  it("refuses a 20000 x 20000 image from its header, without decoding its pixels", async () => {
    const png = bitmapPng(20_000);
    expect(png.length).toBeLessThan(200_000);
    const before = process.memoryUsage().rss;
    const fromPng = await decodeFaceImage(png);
    const fromJpeg = await decodeFaceImage(jpegClaiming(20_000, 20_000));
    // Decoded as RGB it would take 1.2 GB; refused from the header, memory hardly moves.
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
    expect(fromPng).toMatchObject({ ok: false, error: { code: "too_large", context: { width: 20_000, height: 20_000 } } });
    expect(fromJpeg).toMatchObject({ ok: false, error: { code: "too_large", message: expect.stringContaining("400 MP") as string } });
  });

  it("takes a large image within the limit and refuses it under a tighter one", async () => {
    const big = await sharp({ create: { width: 3000, height: 2000, channels: 3, background: { r: 90, g: 120, b: 150 } } }).jpeg().toBuffer();
    expect((await decodeFaceImage(big)).ok).toBe(true);
    expect(errorCode(await decodeFaceImage(big, { maxPixels: 5_000_000 }))).toBe("too_large");
  });
});
