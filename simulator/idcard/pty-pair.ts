import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A pseudo-terminal pair made by socat (`socat pty,raw,echo=0,link=A pty,raw,echo=0,link=B`): the
 * virtual reader opens one end, the driver the other, and the driver sees a real serial device.
 * Killing socat makes both ends vanish (EIO on the open descriptors), as a USB unplug does.
 */
export interface PtyPair {
  /** The reader's end. */
  readonly readerPath: string;
  /** The host's end: what the driver opens. */
  readonly hostPath: string;
  readonly pid: number;
  /** Kill socat and wait until it is gone; idempotent. */
  close(): Promise<void>;
}

export interface PtyPairOptions {
  /** Folder for the two links; reusing one after close() re-creates the "same" device paths (replug). */
  readonly dir?: string;
  readonly socat?: string;
  readonly timeoutMs?: number;
}

export function makePtyDir(): string {
  return mkdtempSync(join(tmpdir(), "carewitness-pty-"));
}

export async function openPtyPair(options: PtyPairOptions = {}): Promise<PtyPair> {
  const dir = options.dir ?? makePtyDir();
  const readerPath = join(dir, "reader");
  const hostPath = join(dir, "host");
  for (const link of [readerPath, hostPath]) rmSync(link, { force: true });
  const child = spawn(options.socat ?? "socat", [`pty,raw,echo=0,link=${readerPath}`, `pty,raw,echo=0,link=${hostPath}`], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  let failed: Error | undefined;
  void spawnError.then((error) => (failed = error));
  while (!(existsSync(readerPath) && existsSync(hostPath))) {
    if (failed !== undefined) throw new Error(`socat could not start: ${failed.message}`);
    if (child.exitCode !== null) throw new Error(`socat exited with ${child.exitCode}: ${stderr.trim()}`);
    if (Date.now() > deadline) {
      await stop(child, exited);
      throw new Error(`socat made no pty pair within ${options.timeoutMs ?? 5000} ms: ${stderr.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const pid = child.pid ?? -1;
  return { readerPath, hostPath, pid, close: () => stop(child, exited) };
}

async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 2000);
  await exited;
  clearTimeout(timer);
}
