import sharp, { type Metadata } from "sharp";
import type { RgbImage } from "./face-aligner.js";

/**
 * Decoding an image that came from outside (an enrolment photo, a file given to the CLI, a frame from
 * a network camera) into RGB pixels, refusing what is not a usable image with a typed reason instead
 * of crashing or exhausting memory:
 * - `empty`: no bytes;
 * - `not_an_image`: bytes no decoder recognises (text, a PDF, random data);
 * - `too_large`: the header declares more pixels than `maxPixels` (a 20000 x 20000 image would need
 *   1.2 GB as RGB). Judged from the header alone, before any pixel is decoded (sharp's
 *   limitInputPixels is also set, as a second wall);
 * - `corrupt`: the header reads but the pixel data does not decode (truncated or damaged file);
 *   sharp's `failOn: "warning"` turns a cut-off JPEG into an error rather than a grey tail.
 */
export const FACE_IMAGE_ERRORS = ["empty", "not_an_image", "too_large", "corrupt"] as const;
export type FaceImageErrorCode = (typeof FACE_IMAGE_ERRORS)[number];

export class FaceImageError extends Error {
  constructor(
    readonly code: FaceImageErrorCode,
    message: string,
    readonly context: { readonly bytes: number; readonly width?: number; readonly height?: number; readonly format?: string } = { bytes: 0 },
  ) {
    super(message);
    this.name = "FaceImageError";
  }
}

export interface FaceImageLimits {
  /** Most pixels (width x height) an input may declare; 50 MP covers a 48 MP phone photo. */
  readonly maxPixels: number;
}

export const DEFAULT_IMAGE_LIMITS: FaceImageLimits = { maxPixels: 50_000_000 };

export type DecodedFaceImage = { readonly ok: true; readonly image: RgbImage & { readonly channels: 3 } } | { readonly ok: false; readonly error: FaceImageError };

/** Decodes an encoded image (JPEG, PNG, WebP, ...) to 8-bit RGB, applying the EXIF orientation. */
export async function decodeFaceImage(bytes: Uint8Array, limits: FaceImageLimits = DEFAULT_IMAGE_LIMITS): Promise<DecodedFaceImage> {
  if (bytes.byteLength === 0) return fail("empty", "the image is empty (0 bytes)", { bytes: 0 });
  const input = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: Metadata;
  try {
    header = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (error) {
    return fail("not_an_image", `not an image sharp can read: ${reason(error)}`, { bytes: input.byteLength });
  }
  const { width, height, format } = header;
  const context = { bytes: input.byteLength, width, height, format };
  if (width <= 0 || height <= 0) return fail("not_an_image", `${format} without dimensions`, context);
  if (width * height > limits.maxPixels) {
    return fail("too_large", `${width} x ${height} px (${((width * height) / 1e6).toFixed(0)} MP) is more than the ${(limits.maxPixels / 1e6).toFixed(0)} MP allowed`, context);
  }
  try {
    const { data, info } = await sharp(input, { limitInputPixels: limits.maxPixels, failOn: "warning" })
      .rotate()
      .removeAlpha()
      .toColourspace("srgb")
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) return fail("corrupt", `decoded to ${info.channels} channels, expected 3`, context);
    return { ok: true, image: { data, width: info.width, height: info.height, channels: 3 } };
  } catch (error) {
    return fail("corrupt", `${format} header reads but the pixels do not decode: ${reason(error)}`, context);
  }
}

function fail(code: FaceImageErrorCode, message: string, context: FaceImageError["context"]): DecodedFaceImage {
  return { ok: false, error: new FaceImageError(code, message, context) };
}

function reason(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
}
