import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { FaceLibrary, FaceLibraryError } from "./face-library.js";
import { decodeFrame } from "./attack-looks.js";
import { LFW_EYES, lowerLids, VirtualCamera } from "./virtual-camera.js";

/** The virtual camera on the LFW development set beside the project (tests may read it; the product never does). */
const FACES = fileURLToPath(new URL("../../../shared/faces/lfw/", import.meta.url));
const faces = new FaceLibrary(FACES);

async function meanGrey(image: Buffer): Promise<number> {
  const { channels } = await sharp(image).greyscale().stats();
  return channels[0]?.mean ?? 0;
}

/** Mean absolute difference of two frames' grey pixels. */
async function difference(a: Buffer, b: Buffer): Promise<number> {
  const [x, y] = await Promise.all([a, b].map((img) => sharp(img).greyscale().raw().toBuffer()));
  if (x === undefined || y === undefined) return 0;
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.abs((x[i] ?? 0) - (y[i] ?? 0));
  return sum / x.length;
}

async function started(seed = "test"): Promise<VirtualCamera> {
  const camera = new VirtualCamera({ faces, seed });
  await camera.start();
  return camera;
}

describe("FaceLibrary", () => {
  it("lists identities and photos, and refuses a missing folder or identity with a code", () => {
    expect(faces.photos("Andre_Agassi").length).toBeGreaterThan(4);
    expect(faces.photo("Andre_Agassi", 0).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(() => new FaceLibrary(join(FACES, "no-such-folder"))).toThrow(expect.objectContaining({ code: "no_folder" }) as unknown);
    expect(() => faces.photos("No_Such_Person")).toThrow(FaceLibraryError);
    expect(() => faces.photos("../etc")).toThrow(expect.objectContaining({ code: "no_identity" }) as unknown);
    const empty = mkdtempSync(join(tmpdir(), "cw-faces-"));
    expect(new FaceLibrary(empty).identities()).toEqual([]);
    rmSync(empty, { recursive: true });
  });
});

describe("VirtualCamera", () => {
  it("films a person as a burst of JPEG frames that move a little, numbered and timed", async () => {
    const camera = await started();
    camera.show({ kind: "person", identity: "Andre_Agassi", photo: 4 });
    const frames = await camera.burst(4, 1000);
    expect(frames.map((f) => f.index)).toEqual([0, 1, 2, 3]);
    expect(frames[1]?.capturedAt).toBeGreaterThan(frames[0]?.capturedAt ?? Infinity);
    const [first, last] = [frames[0]?.image, frames[3]?.image];
    if (first === undefined || last === undefined) throw new Error("no frames");
    expect(await difference(first, last)).toBeGreaterThan(0.5);
    expect(camera.health()).toMatchObject({ state: "streaming", framesDelivered: 4, problem: null });
  });

  it("gives equal frames for equal seeds and scenes", async () => {
    const [a, b] = [await started("same"), await started("same")];
    for (const camera of [a, b]) camera.show({ kind: "person", identity: "Abdullah_Gul" });
    const [fa, fb] = [await a.burst(2, 1000), await b.burst(2, 1000)];
    expect(fa[1]?.image.equals(fb[1]?.image ?? Buffer.alloc(0))).toBe(true);
  });

  it("renders dark scenes dark unless a long or IR exposure lifts them, and bright scenes washed out", async () => {
    const camera = await started();
    const grey = async (): Promise<number> => meanGrey((await camera.burst(1, 1000))[0]?.image ?? Buffer.alloc(0));
    camera.show({ kind: "person", identity: "Andre_Agassi" });
    const normal = await grey();
    camera.show({ kind: "person", identity: "Andre_Agassi", light: "dark" });
    const dark = await grey();
    await camera.setExposure("long");
    const long = await grey();
    camera.show({ kind: "person", identity: "Andre_Agassi", light: "bright" });
    await camera.setExposure("auto");
    const bright = await grey();
    expect(dark).toBeLessThan(0.25 * normal);
    expect(long).toBeGreaterThan(2 * dark);
    expect(bright).toBeGreaterThan(normal + 40);
  });

  it("shrinks a far face into a plain surround and crops a close one", async () => {
    const camera = await started();
    camera.show({ kind: "person", identity: "Andre_Agassi" });
    const normal = (await camera.burst(1, 1000))[0]?.image ?? Buffer.alloc(0);
    camera.show({ kind: "person", identity: "Andre_Agassi", distance: "far" });
    const far = (await camera.burst(1, 1000))[0]?.image ?? Buffer.alloc(0);
    // The corner of a far frame is the plain room; of a normal frame, the photo's background.
    const corner = async (img: Buffer): Promise<number> => meanGrey(await sharp(img).extract({ left: 0, top: 0, width: 40, height: 40 }).toBuffer());
    expect(Math.abs((await corner(far)) - 96)).toBeLessThan(8);
    expect(await difference(normal, far)).toBeGreaterThan(10);
  });

  it("shows an attack as a prop that differs from the live face, and blinks or turns only for a live person", async () => {
    const camera = await started();
    camera.show({ kind: "person", identity: "Andre_Agassi" });
    const still = await camera.burst(5, 1000);
    // The blink lowers the lids: the eye region changes, the mouth does not.
    const photo = await decodeFrame(faces.photo("Andre_Agassi", 0));
    const closed = lowerLids(photo, LFW_EYES, 1);
    const change = (x: number, y: number): number => {
      let sum = 0;
      for (let dy = -6; dy <= 6; dy++) for (let dx = -10; dx <= 10; dx++) sum += Math.abs((photo.data[((y + dy) * photo.width + x + dx) * 3] ?? 0) - (closed.data[((y + dy) * photo.width + x + dx) * 3] ?? 0));
      return sum / (13 * 21);
    };
    expect(change(106, 115)).toBeGreaterThan(8);
    expect(change(128, 175)).toBeLessThan(1);
    camera.show({ kind: "attack", attack: "printed_photo", identity: "Andre_Agassi" });
    camera.respondTo("blink");
    const print = await camera.burst(2, 1000);
    expect(print).toHaveLength(2);
    expect(await difference(still[0]?.image ?? Buffer.alloc(0), print[0]?.image ?? Buffer.alloc(0))).toBeGreaterThan(10);
  });

  it("delivers nothing while stopped, says so in health, and recovers", async () => {
    const camera = await started();
    camera.show({ kind: "person", identity: "Andre_Agassi" });
    camera.stall();
    expect(await camera.burst(3, 50)).toEqual([]);
    expect(camera.health()).toMatchObject({ state: "stalled", problem: expect.stringContaining("stopped") as unknown });
    camera.resume();
    expect(await camera.burst(1, 1000)).toHaveLength(1);
    expect(camera.health().state).toBe("streaming");
    await camera.stop();
    expect(await camera.burst(1, 1000)).toEqual([]);
    expect(camera.health().state).toBe("stopped");
  });
});

describe("VirtualCamera coaching", () => {
  it("a person who is told to move closer steps to a normal distance; the room's light stays", async () => {
    const camera = await started();
    camera.show({ kind: "person", identity: "Andre_Agassi", distance: "far", light: "dark" });
    camera.followCoaching("too_far");
    expect(camera.currentScene()).toMatchObject({ distance: "normal", light: "dark" });
    camera.followCoaching("too_dark");
    expect(camera.currentScene()).toMatchObject({ light: "dark" });
    camera.show({ kind: "person", identity: "Andre_Agassi", distance: "far", followsChallenge: false });
    camera.followCoaching("too_far");
    expect(camera.currentScene()).toMatchObject({ distance: "far" });
  });
});
