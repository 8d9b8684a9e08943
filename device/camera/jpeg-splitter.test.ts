import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { JpegSplitter } from "./jpeg-splitter.js";

async function jpeg(colour: string, withExifThumbnail = false): Promise<Buffer> {
  const image = await sharp({ create: { width: 32, height: 24, channels: 3, background: colour } }).jpeg().toBuffer();
  if (!withExifThumbnail) return image;
  // An APP1 segment carrying a whole JPEG (SOI..EOI) inside, as an EXIF thumbnail does.
  const thumbnail = await sharp({ create: { width: 8, height: 8, channels: 3, background: "white" } }).jpeg().toBuffer();
  const body = Buffer.concat([Buffer.from("Exif\0\0"), thumbnail]);
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 0xff]), body]);
  return Buffer.concat([image.subarray(0, 2), app1, image.subarray(2)]);
}

describe("JPEG stream splitter", () => {
  it("splits concatenated images fed in arbitrary chunks, byte for byte", async () => {
    const images = [await jpeg("red"), await jpeg("green"), await jpeg("blue")];
    const stream = Buffer.concat(images);
    for (const chunkSize of [1, 7, 100, stream.length]) {
      const splitter = new JpegSplitter();
      const out: Buffer[] = [];
      for (let i = 0; i < stream.length; i += chunkSize) out.push(...splitter.push(stream.subarray(i, i + chunkSize)));
      expect(out).toEqual(images);
      expect(splitter.skippedBytes).toBe(0);
    }
  });

  it("does not cut an image at the EOI of an EXIF thumbnail inside it", async () => {
    const image = await jpeg("red", true);
    const out = new JpegSplitter().push(Buffer.concat([image, await jpeg("green")]));
    expect(out[0]).toEqual(image);
    expect(out).toHaveLength(2);
    expect((await sharp(out[0]).metadata()).width).toBe(32);
  });

  it("skips garbage between images and resynchronises after a corrupt header, without throwing", async () => {
    const good = await jpeg("blue");
    const corrupt = Buffer.from([0xff, 0xd8, 0x12, 0x34, 0x56]);
    const splitter = new JpegSplitter();
    const out = splitter.push(Buffer.concat([Buffer.from("noise"), corrupt, good, Buffer.from([0x00, 0xff])]));
    expect(out).toEqual([good]);
    expect(splitter.skippedBytes).toBeGreaterThan(5);
    // A trailing FF may start the next SOI.
    expect(splitter.push(Buffer.concat([Buffer.from([0xd8]), good.subarray(2)]))).toEqual([good]);
  });
});
