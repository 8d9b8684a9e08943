import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { FrameSource } from "../ports.js";
import { frameSourceFor } from "./camera-source.js";
import { DirectoryFrameSource } from "./directory-frame-source.js";
import { FfmpegFrameSource } from "./ffmpeg-frame-source.js";

/** Camera sources against a real ffmpeg (lavfi `testsrc` stands in for the camera) and real files. */
const FACES = fileURLToPath(new URL("../../../shared/faces/lfw/Andre_Agassi/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "cw-camera-"));
const started: FrameSource[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function testsrc(stallAfterMs = 1500): FfmpegFrameSource {
  const source = new FfmpegFrameSource({ input: { kind: "lavfi", graph: "testsrc=size=320x240:rate=10" }, width: 160, height: 120, fps: 10, stallAfterMs, restartDelayMs: 100 });
  started.push(source);
  return source;
}

describe("ffmpeg camera source", () => {
  it("delivers JPEG frames at the configured size, numbered from 0, and reports streaming", async () => {
    const source = testsrc();
    await source.start();
    const frames = await source.burst(3, 10_000);
    expect(frames).toHaveLength(3);
    const meta = await sharp(frames[0]?.image).metadata();
    expect({ format: meta.format, width: meta.width, height: meta.height }).toEqual({ format: "jpeg", width: 160, height: 120 });
    expect(frames.map((f) => f.index)).toEqual([frames[0]?.index, (frames[0]?.index ?? 0) + 1, (frames[0]?.index ?? 0) + 2]);
    expect(source.health()).toMatchObject({ state: "streaming", restarts: 0, problem: null });
  });

  it("restarts a killed ffmpeg, counts the restart in health and streams again", async () => {
    const source = testsrc();
    await source.start();
    await source.burst(1, 10_000);
    const firstPid = source.pid;
    process.kill(firstPid ?? 0, "SIGKILL");
    await until(() => source.health().restarts === 1 && source.pid !== undefined && source.pid !== firstPid, "restart");
    expect(source.health().problem).toContain("SIGKILL");
    const after = await source.burst(2, 10_000);
    expect(after).toHaveLength(2);
    expect(source.health().state).toBe("streaming");
  });

  it("shows 'stalled' within seconds when the camera stops delivering, and recovers", async () => {
    const source = testsrc(1000);
    await source.start();
    await source.burst(1, 10_000);
    process.kill(source.pid ?? 0, "SIGSTOP");
    try {
      await until(() => source.health().state === "stalled", "stalled", 5000);
      expect(source.health().problem).toMatch(/no frame for \d+ s/);
      expect(await source.burst(1, 300)).toEqual([]);
    } finally {
      process.kill(source.pid ?? 0, "SIGCONT");
    }
    await until(() => source.health().state === "streaming", "streaming again");
  });

  it("reports a camera that cannot be opened as restarting with ffmpeg's own words", async () => {
    const source = new FfmpegFrameSource({ input: { kind: "v4l2", device: join(dir, "no-such-video0") }, width: 160, height: 120, fps: 5, restartDelayMs: 100 });
    started.push(source);
    await source.start();
    await until(() => source.health().restarts >= 2, "two restarts");
    expect(source.health().state).not.toBe("streaming");
    expect(source.health().problem).toMatch(/ffmpeg exited with \d+: .*no-such-video0/);
  });

  it("plays a video file, looped, as a camera (the 'directory' camera given a file)", async () => {
    const video = join(dir, "clip.mp4");
    const { spawnSync } = await import("node:child_process");
    const made = spawnSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=1", "-pix_fmt", "yuv420p", video]);
    expect(made.status).toBe(0);
    const source = frameSourceFor({ kind: "directory", path: video, fps: 10 });
    started.push(source);
    await source.start();
    expect(await source.burst(15, 10_000)).toHaveLength(15); // more frames than the 1 s clip holds: it loops
  });
});

describe("directory camera source", () => {
  it("serves the folder's images in name order at the configured rate", async () => {
    const source = new DirectoryFrameSource({ path: FACES, fps: 20 });
    started.push(source);
    await source.start();
    const frames = await source.burst(3, 5000);
    expect(frames).toHaveLength(3);
    expect((await sharp(frames[0]?.image).metadata()).format).toBe("jpeg");
    expect(source.health().state).toBe("streaming");
  });

  it("is stalled when the images run out without looping, and failed when the folder has none", async () => {
    const two = join(dir, "two");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(two);
    const image = await sharp({ create: { width: 8, height: 8, channels: 3, background: "red" } }).jpeg().toBuffer();
    writeFileSync(join(two, "a.jpg"), image);
    writeFileSync(join(two, "b.jpg"), image);
    writeFileSync(join(two, "notes.txt"), "not an image");
    const source = new DirectoryFrameSource({ path: two, fps: 20, loop: false, stallAfterMs: 500 });
    started.push(source);
    await source.start();
    expect(await source.burst(5, 1000)).toHaveLength(2);
    await until(() => source.health().state === "stalled", "stalled", 3000);
    const empty = new DirectoryFrameSource({ path: join(dir, "two", "..", "missing"), fps: 5 });
    started.push(empty);
    await empty.start();
    expect(empty.health()).toMatchObject({ state: "failed", problem: expect.stringContaining("cannot list") as unknown });
  });
});
