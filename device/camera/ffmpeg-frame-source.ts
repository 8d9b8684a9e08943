import { execFile, spawn, type ChildProcess } from "node:child_process";
import type { CameraFrame, CameraHealth, FrameSource } from "../ports.js";
import { FrameFeed } from "./frame-feed.js";
import { JpegSplitter } from "./jpeg-splitter.js";

/**
 * A camera through Debian's ffmpeg: a V4L2 device, an RTSP URL, a video file (looped, paced at its
 * own rate) or — for tests — a lavfi source such as `testsrc`, converted to MJPEG at the configured
 * rate and size on a pipe and split into frames. When ffmpeg exits (camera unplugged, stream lost,
 * killed) it is restarted with exponential back-off, and health counts the restarts and keeps the
 * last line ffmpeg printed on stderr as the problem.
 */
export type FfmpegInput =
  | { readonly kind: "v4l2"; readonly device: string }
  | { readonly kind: "rtsp"; readonly url: string }
  | { readonly kind: "file"; readonly path: string }
  | { readonly kind: "lavfi"; readonly graph: string };

export interface FfmpegSourceOptions {
  readonly input: FfmpegInput;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  /** JPEG quality for ffmpeg's mjpeg encoder, 2 (best) .. 31. */
  readonly quality?: number;
  readonly ffmpegPath?: string;
  readonly stallAfterMs?: number;
  readonly restartDelayMs?: number;
  readonly maxRestartDelayMs?: number;
}

export function ffmpegArguments(options: FfmpegSourceOptions): string[] {
  const { input, width, height, fps } = options;
  const inputArgs = ((): string[] => {
    switch (input.kind) {
      case "v4l2":
        return ["-f", "v4l2", "-framerate", String(fps), "-video_size", `${width}x${height}`, "-i", input.device];
      case "rtsp":
        return ["-rtsp_transport", "tcp", "-i", input.url];
      case "file":
        return ["-re", "-stream_loop", "-1", "-i", input.path];
      case "lavfi":
        return ["-re", "-f", "lavfi", "-i", input.graph];
    }
  })();
  return [
    "-hide_banner",
    "-loglevel",
    "error",
    "-nostdin",
    ...inputArgs,
    "-an",
    "-vf",
    `fps=${fps},scale=${width}:${height}`,
    "-f",
    "mjpeg",
    "-q:v",
    String(options.quality ?? 5),
    "pipe:1",
  ];
}

export class FfmpegFrameSource implements FrameSource {
  private readonly feed: FrameFeed;
  private child: ChildProcess | undefined;
  private running = false;
  private delayMs: number;
  private restartTimer: NodeJS.Timeout | undefined;
  private lastStderr = "";

  constructor(private readonly options: FfmpegSourceOptions) {
    this.feed = new FrameFeed({ stallAfterMs: options.stallAfterMs ?? 3000 });
    this.delayMs = options.restartDelayMs ?? 500;
  }

  /** The running ffmpeg's process id (tests kill it to check the restart). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): Promise<void> {
    if (this.running) return Promise.resolve();
    this.running = true;
    this.launch();
    return Promise.resolve();
  }

  private launch(): void {
    this.feed.starting();
    const splitter = new JpegSplitter();
    const child = spawn(this.options.ffmpegPath ?? "ffmpeg", ffmpegArguments(this.options), { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    let gotFrame = false;
    child.stdout.on("data", (chunk: Buffer) => {
      for (const image of splitter.push(chunk)) {
        if (!gotFrame) {
          gotFrame = true;
          this.delayMs = this.options.restartDelayMs ?? 500;
        }
        this.feed.deliver(image);
      }
    });
    child.stderr.on("data", (chunk: Buffer) => {
      const line = chunk.toString("utf8").trim().split("\n").at(-1);
      if (line !== undefined && line !== "") this.lastStderr = line.slice(0, 200);
    });
    child.once("error", (error) => {
      // spawn failed (no ffmpeg binary): nothing will ever come; say so.
      this.feed.failed(`cannot run ffmpeg: ${error.message}`);
      this.child = undefined;
      this.running = false;
    });
    child.once("exit", (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      if (!this.running) return;
      const why = signal !== null ? `ffmpeg killed by ${signal}` : `ffmpeg exited with ${code ?? "?"}`;
      this.feed.restarted(this.lastStderr === "" ? why : `${why}: ${this.lastStderr}`);
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        if (this.running) this.launch();
      }, this.delayMs);
      this.delayMs = Math.min(this.delayMs * 2, this.options.maxRestartDelayMs ?? 30_000);
    });
  }

  /**
   * V4L2 only: manual exposure for night rounds through `v4l2-ctl` (UVC controls auto_exposure 1 =
   * manual, 3 = aperture priority; exposure_time_absolute in 100 µs units). IR cameras switch their
   * illuminator on in manual long exposure. A camera or host without the control keeps running and
   * health names the problem.
   */
  setExposure(exposure: "auto" | "long" | "ir"): Promise<void> {
    if (this.options.input.kind !== "v4l2") return Promise.resolve();
    const controls = exposure === "auto" ? "auto_exposure=3" : "auto_exposure=1,exposure_time_absolute=1000";
    const device = this.options.input.device;
    return new Promise((resolve) => {
      execFile("v4l2-ctl", ["-d", device, "-c", controls], (error) => {
        if (error !== null) this.feed.note(`exposure ${exposure} not applied on ${device}: ${error.message.split("\n")[0] ?? ""}`);
        resolve();
      });
    });
  }

  burst(count: number, timeoutMs: number): Promise<readonly CameraFrame[]> {
    return this.feed.burst(count, timeoutMs);
  }

  health(): CameraHealth {
    return this.feed.health();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    const child = this.child;
    this.child = undefined;
    this.feed.stopped();
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 2000);
      await exited;
      clearTimeout(timer);
    }
  }
}
