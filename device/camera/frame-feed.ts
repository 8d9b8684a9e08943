import type { CameraFrame, CameraHealth, Clock } from "../ports.js";

/**
 * What every live camera source shares: frames arrive from a producer (ffmpeg, a directory timer, a
 * simulator), `burst()` waiters take the next ones, and health follows: `starting` until the first
 * frame, `streaming` while frames come, `stalled` when none has come for `stallAfterMs` although the
 * source should be running (checked on a timer, so a camera that stops is reported within seconds
 * even when nobody asks for frames), `failed` when the producer cannot be (re)started.
 */
export interface FrameFeedOptions {
  readonly stallAfterMs: number;
  readonly clock?: Clock;
}

interface Waiter {
  readonly count: number;
  readonly frames: CameraFrame[];
  readonly resolve: (frames: readonly CameraFrame[]) => void;
  readonly timer: NodeJS.Timeout;
}

export class FrameFeed {
  private readonly waiters = new Set<Waiter>();
  private readonly clock: Clock;
  private state: CameraHealth["state"] = "stopped";
  private lastFrameAt: number | null = null;
  private runningSince = 0;
  private delivered = 0;
  private restarts = 0;
  private problem: string | null = null;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(private readonly options: FrameFeedOptions) {
    this.clock = options.clock ?? { now: () => Date.now() };
  }

  /** The producer is (re)starting: frames are expected from now on. */
  starting(): void {
    this.state = "starting";
    this.runningSince = this.clock.now();
    if (this.watchdog === undefined) {
      this.watchdog = setInterval(() => this.checkStall(), Math.max(100, Math.floor(this.options.stallAfterMs / 4)));
      this.watchdog.unref();
    }
  }

  restarted(problem: string): void {
    this.restarts++;
    this.problem = problem;
  }

  /** A problem worth a technician's attention that does not stop the stream. */
  note(problem: string): void {
    this.problem = problem;
  }

  failed(problem: string): void {
    this.state = "failed";
    this.problem = problem;
  }

  stopped(): void {
    this.state = "stopped";
    if (this.watchdog !== undefined) clearInterval(this.watchdog);
    this.watchdog = undefined;
    for (const waiter of this.waiters) this.finish(waiter);
  }

  /** A frame from the producer. */
  deliver(image: Buffer): void {
    const capturedAt = this.clock.now();
    const frame: CameraFrame = { image, capturedAt, index: this.delivered };
    this.delivered++;
    this.lastFrameAt = capturedAt;
    if (this.state === "starting" || this.state === "stalled") this.state = "streaming";
    for (const waiter of this.waiters) {
      waiter.frames.push(frame);
      if (waiter.frames.length >= waiter.count) this.finish(waiter);
    }
  }

  burst(count: number, timeoutMs: number): Promise<readonly CameraFrame[]> {
    if (count <= 0 || this.state === "stopped") return Promise.resolve([]);
    return new Promise((resolve) => {
      const waiter: Waiter = { count, frames: [], resolve, timer: setTimeout(() => this.finish(waiter), timeoutMs) };
      this.waiters.add(waiter);
    });
  }

  health(): CameraHealth {
    return { state: this.state, lastFrameAt: this.lastFrameAt, framesDelivered: this.delivered, restarts: this.restarts, problem: this.problem };
  }

  private finish(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    if (this.waiters.delete(waiter)) waiter.resolve(waiter.frames);
  }

  private checkStall(): void {
    if (this.state !== "streaming" && this.state !== "starting") return;
    const since = Math.max(this.lastFrameAt ?? 0, this.runningSince);
    if (this.clock.now() - since > this.options.stallAfterMs) {
      this.state = "stalled";
      this.problem = `no frame for ${Math.round((this.clock.now() - since) / 1000)} s`;
    }
  }
}
