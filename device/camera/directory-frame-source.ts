import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import type { CameraFrame, CameraHealth, FrameSource } from "../ports.js";
import { FrameFeed } from "./frame-feed.js";

/**
 * A folder of JPEG or PNG images served as a camera, at `fps`, in name order, looping (tests and
 * demos). Nested folders are included, so a folder of faces grouped by identity works as is. A file
 * that cannot be read is skipped and named in health; an empty folder is a failed camera.
 */
export interface DirectorySourceOptions {
  readonly path: string;
  readonly fps: number;
  readonly loop?: boolean;
  readonly stallAfterMs?: number;
}

const IMAGE_EXTENSIONS = new Set([".jpg", ".jpeg", ".png"]);

export function imageFilesIn(path: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path).sort()) {
    const full = join(path, name);
    if (statSync(full).isDirectory()) out.push(...imageFilesIn(full));
    else if (IMAGE_EXTENSIONS.has(extname(name).toLowerCase())) out.push(full);
  }
  return out;
}

export class DirectoryFrameSource implements FrameSource {
  private readonly feed: FrameFeed;
  private files: string[] = [];
  private next = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: DirectorySourceOptions) {
    this.feed = new FrameFeed({ stallAfterMs: options.stallAfterMs ?? 3000 });
  }

  start(): Promise<void> {
    if (this.timer !== undefined) return Promise.resolve();
    this.feed.starting();
    try {
      this.files = imageFilesIn(this.options.path);
    } catch (error) {
      this.feed.failed(`cannot list ${this.options.path}: ${(error as Error).message}`);
      return Promise.resolve();
    }
    if (this.files.length === 0) {
      this.feed.failed(`no JPEG or PNG images in ${this.options.path}`);
      return Promise.resolve();
    }
    this.timer = setInterval(() => this.tick(), 1000 / this.options.fps);
    return Promise.resolve();
  }

  private tick(): void {
    if (this.next >= this.files.length) {
      if (this.options.loop === false) return; // the feed's watchdog will report the stall
      this.next = 0;
    }
    const file = this.files[this.next++];
    if (file === undefined) return;
    try {
      this.feed.deliver(readFileSync(file));
    } catch (error) {
      this.feed.note(`skipped ${file}: ${(error as Error).message}`);
    }
  }

  burst(count: number, timeoutMs: number): Promise<readonly CameraFrame[]> {
    return this.feed.burst(count, timeoutMs);
  }

  health(): CameraHealth {
    return this.feed.health();
  }

  stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.feed.stopped();
    return Promise.resolve();
  }
}
