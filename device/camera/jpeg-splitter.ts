/**
 * Splits a byte stream of concatenated JPEG images (ffmpeg's `-f mjpeg` output on a pipe) into whole
 * images. It walks the marker segments (ITU-T T.81 B.1) rather than searching for the first FF D9,
 * so an EXIF thumbnail's end-of-image marker inside an APP1 segment does not cut a frame short; in the
 * entropy-coded data after SOS, FF 00 is a stuffed byte and FF D0..D7 are restart markers (T.81
 * B.1.1.5), so the next FF D9 there ends the image. Garbage before an SOI is skipped and counted.
 * Never throws on bytes: the camera is outside the box's control.
 */
export class JpegSplitter {
  private buffer: Buffer = Buffer.alloc(0);
  /** Bytes dropped because they were not inside a JPEG image. */
  skippedBytes = 0;

  constructor(private readonly maxImageBytes = 8 * 1024 * 1024) {}

  /** Adds bytes; returns every image they complete, in order. */
  push(chunk: Buffer): Buffer[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const images: Buffer[] = [];
    for (;;) {
      const start = this.buffer.indexOf(SOI);
      if (start < 0) {
        // Keep a trailing FF: it may be the first half of an SOI.
        const keep = this.buffer.at(-1) === 0xff ? 1 : 0;
        this.skippedBytes += this.buffer.length - keep;
        this.buffer = this.buffer.subarray(this.buffer.length - keep);
        return images;
      }
      if (start > 0) {
        this.skippedBytes += start;
        this.buffer = this.buffer.subarray(start);
      }
      const end = endOfImage(this.buffer);
      if (end === "incomplete") {
        if (this.buffer.length > this.maxImageBytes) this.resync();
        return images;
      }
      if (end === "corrupt") {
        this.resync();
        continue;
      }
      images.push(Buffer.from(this.buffer.subarray(0, end)));
      this.buffer = this.buffer.subarray(end);
    }
  }

  /** Drops the SOI at the head so the search moves on to the next image. */
  private resync(): void {
    this.skippedBytes += 2;
    this.buffer = this.buffer.subarray(2);
  }
}

const SOI = Buffer.from([0xff, 0xd8]);

/** Offset just after the image's EOI, or why there is none yet. The buffer starts with SOI. */
function endOfImage(b: Buffer): number | "incomplete" | "corrupt" {
  let i = 2;
  // Marker segments up to and including SOS.
  for (;;) {
    if (i + 4 > b.length) return "incomplete";
    if (b[i] !== 0xff) return "corrupt";
    const marker = b[i + 1] ?? 0;
    if (marker === 0xff) {
      i += 1; // fill byte (T.81 B.1.1.2)
      continue;
    }
    if (marker === 0xd9) return i + 2;
    if (marker === 0xd8 || marker === 0x00) return "corrupt";
    if (marker >= 0xd0 && marker <= 0xd7) {
      i += 2;
      continue;
    }
    const length = b.readUInt16BE(i + 2);
    if (length < 2) return "corrupt";
    i += 2 + length;
    if (marker === 0xda) break;
  }
  // Entropy-coded data: find FF followed by something other than 00 or a restart marker.
  for (;;) {
    const ff = b.indexOf(0xff, i);
    if (ff < 0 || ff + 1 >= b.length) return "incomplete";
    const next = b[ff + 1] ?? 0;
    if (next === 0xd9) return ff + 2;
    if (next === 0x00 || next === 0xff || (next >= 0xd0 && next <= 0xd7)) {
      i = ff + 1;
      continue;
    }
    // Another marker (DHT/SOS of a progressive image, DNL...): continue with its segment.
    if (ff + 4 > b.length) return "incomplete";
    i = ff + 2 + b.readUInt16BE(ff + 2);
  }
}
