import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";

/**
 * A folder of face photographs grouped by identity, one sub-folder per person (the LFW layout:
 * `Andre_Agassi/Andre_Agassi_0001.jpg`). The folder is a parameter: the product never reads the
 * development set beside the project at run time; tests and the simulator's CLI pass it in.
 */
export class FaceLibraryError extends Error {
  constructor(
    readonly code: "no_folder" | "no_identity" | "no_photo",
    message: string,
  ) {
    super(message);
    this.name = "FaceLibraryError";
  }
}

const PHOTO_EXTENSIONS = new Set([".jpg", ".jpeg", ".png"]);

export class FaceLibrary {
  private readonly cache = new Map<string, readonly string[]>();

  constructor(readonly dir: string) {
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      // Reported below.
    }
    if (!isDir) throw new FaceLibraryError("no_folder", `face folder ${dir} does not exist or is not a folder`);
  }

  /** The photo files of one identity, sorted; throws no_identity when the folder has none. */
  photos(identity: string): readonly string[] {
    const known = this.cache.get(identity);
    if (known !== undefined) return known;
    if (!/^[\w.-]+$/.test(identity)) throw new FaceLibraryError("no_identity", `identity ${JSON.stringify(identity)} is not a folder name`);
    let files: string[];
    try {
      files = readdirSync(join(this.dir, identity)).filter((f) => PHOTO_EXTENSIONS.has(extname(f).toLowerCase())).sort();
    } catch {
      files = [];
    }
    if (files.length === 0) throw new FaceLibraryError("no_identity", `no photos of ${identity} in ${this.dir}`);
    this.cache.set(identity, files);
    return files;
  }

  /** Photo `index` of an identity (wrapping around), as encoded bytes. */
  photo(identity: string, index: number): Buffer {
    const files = this.photos(identity);
    const file = files[((index % files.length) + files.length) % files.length];
    if (file === undefined) throw new FaceLibraryError("no_photo", `no photo ${index} of ${identity}`);
    return readFileSync(join(this.dir, identity, file));
  }

  /** Identities with at least `minPhotos` photos, sorted. */
  identities(minPhotos = 1): string[] {
    return readdirSync(this.dir)
      .filter((name) => {
        try {
          return statSync(join(this.dir, name)).isDirectory() && this.photos(name).length >= minPhotos;
        } catch {
          return false;
        }
      })
      .sort();
  }
}
