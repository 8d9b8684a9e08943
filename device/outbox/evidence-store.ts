import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statfsSync, statSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";

/**
 * Evidence kept on the box beside its events (a frame of the face check), named in the event by
 * content hash only; the bytes travel separately when a supervisor asks. Encrypted at rest with
 * AES-256-GCM under the box's template key (they are biometric data too), the SHA-256 of the plain
 * bytes as associated data.
 *
 * Disk policy: evidence is expendable and events are not. `prune` deletes the oldest evidence files
 * while the evidence folder is over its byte cap or the volume has less free space than asked; the
 * outbox is never touched, so a full disk costs evidence first and a check is never lost for it.
 */
export interface EvidenceRef {
  readonly kind: "frame";
  readonly sha256: string;
  readonly mediaType: "image/jpeg" | "image/png";
  readonly bytes: number;
}

export interface PruneReport {
  readonly deletedFiles: number;
  readonly deletedBytes: number;
  readonly keptBytes: number;
  readonly freeBytes: number | null;
}

export class EvidenceStore {
  constructor(
    private readonly dir: string,
    private readonly key: Buffer,
  ) {
    if (key.length !== 32) throw new RangeError(`evidence key must be 32 bytes, got ${key.length}`);
    mkdirSync(dir, { recursive: true });
  }

  put(image: Buffer): EvidenceRef {
    const sha256 = createHash("sha256").update(image).digest("hex");
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(Buffer.from(sha256));
    const sealed = Buffer.concat([iv, cipher.update(image), cipher.final(), cipher.getAuthTag()]);
    const path = join(this.dir, `${sha256}.bin`);
    const temporary = `${path}.tmp`;
    const fd = openSync(temporary, "w", 0o600);
    try {
      writeSync(fd, sealed);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
    const png = image[0] === 0x89 && image[1] === 0x50;
    return { kind: "frame", sha256, mediaType: png ? "image/png" : "image/jpeg", bytes: image.length };
  }

  /** The plain bytes, or null when pruned (or tampered with). */
  get(sha256: string): Buffer | null {
    let sealed: Buffer;
    try {
      sealed = readFileSync(join(this.dir, `${sha256}.bin`));
    } catch {
      return null;
    }
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, sealed.subarray(0, 12));
      decipher.setAAD(Buffer.from(sha256));
      decipher.setAuthTag(sealed.subarray(sealed.length - 16));
      return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
    } catch {
      return null;
    }
  }

  prune(policy: { readonly maxBytes: number; readonly minFreeBytes: number }): PruneReport {
    const files = readdirSync(this.dir)
      .filter((name) => name.endsWith(".bin"))
      .map((name) => {
        const path = join(this.dir, name);
        const stat = statSync(path);
        return { path, bytes: stat.size, at: stat.mtimeMs };
      })
      .sort((a, b) => a.at - b.at);
    let kept = files.reduce((n, f) => n + f.bytes, 0);
    let free = freeBytes(this.dir);
    let deletedFiles = 0;
    let deletedBytes = 0;
    for (const file of files) {
      const overCap = kept > policy.maxBytes;
      const diskLow = free !== null && free < policy.minFreeBytes;
      if (!overCap && !diskLow) break;
      unlinkSync(file.path);
      kept -= file.bytes;
      deletedFiles++;
      deletedBytes += file.bytes;
      if (free !== null) free += file.bytes;
    }
    if (deletedFiles > 0) free = freeBytes(this.dir);
    return { deletedFiles, deletedBytes, keptBytes: kept, freeBytes: free };
  }
}

function freeBytes(dir: string): number | null {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}
