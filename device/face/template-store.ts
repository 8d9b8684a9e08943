import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import Database from "better-sqlite3";

/**
 * Enrolled face templates, encrypted at rest with AES-256-GCM under the box's template key (from
 * provisioning). Each row is bound to its person and model by the GCM associated data, so a
 * ciphertext moved to another person's row, or read as another model's template, fails to decrypt.
 * A template is only ever returned for the exact model version that made it: descriptors of
 * different models are not comparable.
 */
export class TemplateStoreError extends Error {
  constructor(
    readonly code: "bad_key" | "decrypt_failed",
    message: string,
  ) {
    super(message);
    this.name = "TemplateStoreError";
  }
}

export interface FaceTemplate {
  readonly personRef: string;
  /** Model id and version, e.g. dlib-resnet-v1@2. */
  readonly model: string;
  readonly descriptor: Float32Array;
  readonly frames: number;
  readonly enrolledAt: number;
}

/** A template row as stored: AES-256-GCM under the template key, bound to its person and model. */
export interface SealedTemplateRow {
  readonly personRef: string;
  readonly model: string;
  readonly iv: Buffer;
  readonly tag: Buffer;
  readonly ciphertext: Buffer;
  readonly frames: number;
  readonly enrolledAt: number;
}

interface TemplateRow {
  person_ref: string;
  model: string;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
  frames: number;
  enrolled_at: number;
}

export class TemplateStore {
  private readonly db: Database.Database;

  constructor(
    path: string,
    private readonly key: Buffer,
  ) {
    if (key.length !== 32) throw new TemplateStoreError("bad_key", `template key must be 32 bytes, got ${key.length}`);
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.exec(`CREATE TABLE IF NOT EXISTS templates (
      person_ref TEXT NOT NULL, model TEXT NOT NULL, iv BLOB NOT NULL, tag BLOB NOT NULL, ciphertext BLOB NOT NULL,
      frames INTEGER NOT NULL, enrolled_at INTEGER NOT NULL, PRIMARY KEY (person_ref, model))`);
  }

  put(template: FaceTemplate): void {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(associatedData(template.personRef, template.model));
    const plain = Buffer.from(template.descriptor.buffer, template.descriptor.byteOffset, template.descriptor.byteLength);
    const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
    this.db
      .prepare(
        `INSERT INTO templates (person_ref, model, iv, tag, ciphertext, frames, enrolled_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (person_ref, model) DO UPDATE SET iv = excluded.iv, tag = excluded.tag, ciphertext = excluded.ciphertext, frames = excluded.frames, enrolled_at = excluded.enrolled_at`,
      )
      .run(template.personRef, template.model, iv, cipher.getAuthTag(), ciphertext, template.frames, template.enrolledAt);
  }

  get(personRef: string, model: string): FaceTemplate | undefined {
    const row = this.db.prepare("SELECT * FROM templates WHERE person_ref = ? AND model = ?").get(personRef, model) as TemplateRow | undefined;
    return row === undefined ? undefined : this.decrypt(row);
  }

  /** Every template of one model, for the enrolment-time search for one face under two cards. */
  all(model: string): FaceTemplate[] {
    const rows = this.db.prepare("SELECT * FROM templates WHERE model = ?").all(model) as TemplateRow[];
    return rows.map((row) => this.decrypt(row));
  }

  /** One template as stored, still sealed: what template sync uploads for the institution's other boxes. */
  sealed(personRef: string, model: string): SealedTemplateRow | undefined {
    const row = this.db.prepare("SELECT * FROM templates WHERE person_ref = ? AND model = ?").get(personRef, model) as TemplateRow | undefined;
    return row === undefined ? undefined : { personRef: row.person_ref, model: row.model, iv: row.iv, tag: row.tag, ciphertext: row.ciphertext, frames: row.frames, enrolledAt: row.enrolled_at };
  }

  /**
   * Stores a template another box of the institution sealed, after checking it opens under this box's
   * key for exactly this person and model (so a bad row never lands); an older enrolment than the one
   * held is not taken.
   */
  putSealed(sealed: SealedTemplateRow): "stored" | "kept_newer" {
    this.decrypt({ person_ref: sealed.personRef, model: sealed.model, iv: sealed.iv, tag: sealed.tag, ciphertext: sealed.ciphertext, frames: sealed.frames, enrolled_at: sealed.enrolledAt });
    const result = this.db
      .prepare(
        `INSERT INTO templates (person_ref, model, iv, tag, ciphertext, frames, enrolled_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (person_ref, model) DO UPDATE SET iv = excluded.iv, tag = excluded.tag, ciphertext = excluded.ciphertext, frames = excluded.frames, enrolled_at = excluded.enrolled_at
         WHERE excluded.enrolled_at > templates.enrolled_at`,
      )
      .run(sealed.personRef, sealed.model, sealed.iv, sealed.tag, sealed.ciphertext, sealed.frames, sealed.enrolledAt);
    return result.changes === 1 ? "stored" : "kept_newer";
  }

  private decrypt(row: TemplateRow): FaceTemplate {
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, row.iv);
      decipher.setAAD(associatedData(row.person_ref, row.model));
      decipher.setAuthTag(row.tag);
      const plain = Buffer.concat([decipher.update(row.ciphertext), decipher.final()]);
      const descriptor = new Float32Array(plain.byteLength / 4);
      Buffer.from(descriptor.buffer).set(plain);
      return { personRef: row.person_ref, model: row.model, descriptor, frames: row.frames, enrolledAt: row.enrolled_at };
    } catch {
      throw new TemplateStoreError("decrypt_failed", `template of ${row.person_ref.slice(0, 8)}… (${row.model}) does not decrypt: wrong key or tampered row`);
    }
  }

  close(): void {
    this.db.close();
  }
}

function associatedData(personRef: string, model: string): Buffer {
  return Buffer.from(`carewitness-template-v1|${personRef}|${model}`, "utf8");
}
