import sharp from "sharp";
import type { CameraFrame, CameraHealth, Clock, FrameSource } from "../../device/ports.js";
import { addSensorNoise, decodeFrame, printedPhotoLook, remap, screenReplayLook, stillBurst, warpSimilarity, type RawFrame } from "./attack-looks.js";
import { blinkClosure, liveBurst, type Point } from "./attack-looks-live-burst.js";
import type { FaceLibrary } from "./face-library.js";

/**
 * The simulator's camera: a FrameSource that films whatever the scenario puts in front of it.
 *
 * - A person: one photograph of the identity, made into a burst of small non-rigid perturbations
 *   (H2's liveBurst: a random walk of shift, rotation and scale plus wandering local bumps). It is
 *   one photo moving a little, not a video of a person. When the kiosk asks for a blink, the burst
 *   paints the lids closed over a few frames (liveBurst's blink); for a head turn the middle of the
 *   face is slid sideways against its outline over the burst (a 2-D stand-in for a turn: the nose
 *   moves against the jaw line, which is what the landmark yaw measures; the ears and the far cheek
 *   are not re-rendered).
 * - Pose (in-plane roll and offset), light (dark, bright; a dark scene is lifted by a long or IR
 *   exposure, as night mode sets it) and distance (far: the face shrunk into the frame; close: the
 *   centre cropped and enlarged) are applied to every frame, then sensor noise.
 * - An attack: the identity's photo as a printed photo or a screen replay (H2's attack looks), held
 *   up as a still or with rigid hand motion; it never blinks or turns.
 * - "Camera stops": bursts deliver nothing until resumed, and health says stalled.
 */
export type Light = "normal" | "dark" | "bright";
export type Distance = "normal" | "far" | "close";
export type Gesture = "blink" | "turn_left" | "turn_right";

export interface Pose {
  /** In-plane rotation in degrees. */
  readonly rollDeg?: number;
  /** Offset as a share of the frame (−0.3 … 0.3). */
  readonly offsetX?: number;
  readonly offsetY?: number;
}

export type CameraScene =
  | { readonly kind: "empty" }
  | {
      readonly kind: "person";
      readonly identity: string;
      /** Which photo of the identity (default 0). */
      readonly photo?: number;
      readonly pose?: Pose;
      readonly light?: Light;
      readonly distance?: Distance;
      /** Whether the person does what the kiosk asks, gestures and coaching (default true). */
      readonly followsChallenge?: boolean;
    }
  | {
      readonly kind: "attack";
      readonly attack: "printed_photo" | "screen_replay";
      readonly identity: string;
      readonly photo?: number;
      readonly light?: Light;
      readonly motion?: "identical" | "rigid";
    };

export interface VirtualCameraOptions {
  readonly faces: FaceLibrary;
  readonly clock?: Clock;
  readonly fps?: number;
  /** Seed of every random look (equal seeds and scenes give equal frames). */
  readonly seed?: string;
  /** Eye centres of the library's photos at their own size (default: LFW's 250 px layout). */
  readonly eyes?: readonly [Point, Point];
  /** Health reports stalled once no frame was delivered for this long while frames were asked for. */
  readonly stallAfterMs?: number;
  readonly jpegQuality?: number;
}

/** Where LFW's 250 x 250 photos have the eye centres (the subject's right eye first), on average. */
export const LFW_EYES: readonly [Point, Point] = [
  { x: 106, y: 115 },
  { x: 151, y: 115 },
];

const EMPTY_ROOM = { r: 92, g: 96, b: 104 };

export class VirtualCamera implements FrameSource {
  private scene: CameraScene = { kind: "empty" };
  private gesture: Gesture | null = null;
  private stalled = false;
  private running = false;
  private exposure: "auto" | "long" | "ir" = "auto";
  private index = 0;
  private bursts = 0;
  private lastFrameAt: number | null = null;
  private stalledSince: number | null = null;
  private readonly clock: Clock;
  private readonly decoded = new Map<string, Promise<RawFrame>>();

  constructor(private readonly options: VirtualCameraOptions) {
    this.clock = options.clock ?? { now: () => Date.now() };
  }

  /** What stands in front of the camera from now on. */
  show(scene: CameraScene): void {
    this.scene = scene;
    this.gesture = null;
  }

  currentScene(): CameraScene {
    return this.scene;
  }

  /** The kiosk asked for a gesture: the person in front does it in the next burst (if they follow). */
  respondTo(gesture: Gesture | null): void {
    this.gesture = gesture;
  }

  /**
   * The kiosk coached the person ("move closer", "face the camera"): one who follows coaching
   * (`followsChallenge` is not false) steps to a normal distance or straightens up. Light is the
   * room's, not the person's, and stays as it is.
   */
  followCoaching(prompt: string): void {
    const scene = this.scene;
    if (scene.kind !== "person" || scene.followsChallenge === false) return;
    if ((prompt === "too_far" || prompt === "too_close") && scene.distance !== undefined) this.scene = { ...scene, distance: "normal" };
    else if ((prompt === "turned_away" || prompt === "head_tilted") && scene.pose !== undefined) this.scene = { ...scene, pose: {} };
  }

  /** The camera stops delivering frames (cable, driver, USB) until `resume()`. */
  stall(): void {
    this.stalled = true;
  }

  resume(): void {
    this.stalled = false;
    this.stalledSince = null;
  }

  start(): Promise<void> {
    this.running = true;
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.running = false;
    return Promise.resolve();
  }

  setExposure(exposure: "auto" | "long" | "ir"): Promise<void> {
    this.exposure = exposure;
    return Promise.resolve();
  }

  async burst(count: number, timeoutMs: number): Promise<readonly CameraFrame[]> {
    if (!this.running || count <= 0) return [];
    if (this.stalled) {
      this.stalledSince ??= this.clock.now();
      await new Promise((resolve) => setTimeout(resolve, timeoutMs));
      return [];
    }
    const started = this.clock.now();
    const raws = await this.render(count, `${this.options.seed ?? "camera"}/${this.bursts++}`);
    const interval = 1000 / (this.options.fps ?? 10);
    const frames: CameraFrame[] = [];
    for (const [k, raw] of raws.entries()) {
      const image = await sharp(Buffer.from(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength), { raw: { width: raw.width, height: raw.height, channels: 3 } })
        .jpeg({ quality: this.options.jpegQuality ?? 90 })
        .toBuffer();
      frames.push({ image, capturedAt: started + Math.round(k * interval), index: this.index++ });
    }
    this.lastFrameAt = this.clock.now();
    return frames;
  }

  health(): CameraHealth {
    const stalledLongEnough = this.stalled && this.stalledSince !== null && this.clock.now() - this.stalledSince >= (this.options.stallAfterMs ?? 0);
    return {
      state: !this.running ? "stopped" : this.stalled && stalledLongEnough ? "stalled" : "streaming",
      lastFrameAt: this.lastFrameAt,
      framesDelivered: this.index,
      restarts: 0,
      problem: this.stalled ? "virtual camera stopped delivering frames" : null,
    };
  }

  private photoOf(identity: string, photo: number): Promise<RawFrame> {
    const key = `${identity}#${photo}`;
    let frame = this.decoded.get(key);
    if (frame === undefined) {
      frame = decodeFrame(this.options.faces.photo(identity, photo));
      this.decoded.set(key, frame);
    }
    return frame;
  }

  private async render(count: number, seed: string): Promise<RawFrame[]> {
    const scene = this.scene;
    switch (scene.kind) {
      case "empty":
        return Array.from({ length: count }, (_, k) => addSensorNoise(solid(250, 250, EMPTY_ROOM), 3, `${seed}/${k}`));
      case "person": {
        const source = await this.photoOf(scene.identity, scene.photo ?? 0);
        const eyes = this.eyesIn(source);
        const gesture = scene.followsChallenge === false ? null : this.gesture;
        const closure = gesture === "blink" ? blinkClosure(count, Math.max(1, Math.floor(count / 2))) : undefined;
        let burst = liveBurst(source, count, seed, { eyes });
        if (closure !== undefined) burst = burst.map((f, k) => lowerLids(f, eyes, closure[k] ?? 0));
        if (gesture === "turn_left" || gesture === "turn_right") burst = burst.map((f, k) => turnFace(f, eyes, gesture, Math.min(1, (2 * k) / Math.max(1, count - 1))));
        return burst.map((f, k) => this.finish(f, scene.pose, scene.light, scene.distance, `${seed}/${k}`));
      }
      case "attack": {
        const source = await this.photoOf(scene.identity, scene.photo ?? 0);
        const look = scene.attack === "printed_photo" ? printedPhotoLook(source, seed) : screenReplayLook(source, seed);
        return stillBurst(look, count, seed, scene.motion ?? "rigid").map((f, k) => this.finish(f, undefined, scene.light, undefined, `${seed}/${k}`));
      }
    }
  }

  private eyesIn(frame: RawFrame): readonly [Point, Point] {
    const [right, left] = this.options.eyes ?? LFW_EYES;
    const sx = frame.width / 250;
    const sy = frame.height / 250;
    return this.options.eyes !== undefined ? [right, left] : [{ x: right.x * sx, y: right.y * sy }, { x: left.x * sx, y: left.y * sy }];
  }

  private finish(frame: RawFrame, pose: Pose | undefined, light: Light | undefined, distance: Distance | undefined, seed: string): RawFrame {
    let out = frame;
    if (pose !== undefined) {
      out = warpSimilarity(out, (pose.offsetX ?? 0) * out.width, (pose.offsetY ?? 0) * out.height, ((pose.rollDeg ?? 0) * Math.PI) / 180, 1);
    }
    if (distance === "far") out = zoom(out, 0.4);
    else if (distance === "close") out = zoom(out, 2.6);
    out = lit(out, light ?? "normal", this.exposure);
    return addSensorNoise(out, light === "dark" ? 6 : 2, seed);
  }
}

function solid(width: number, height: number, colour: { r: number; g: number; b: number }): RawFrame {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    data[3 * i] = colour.r;
    data[3 * i + 1] = colour.g;
    data[3 * i + 2] = colour.b;
  }
  return { data, width, height };
}

/** Scale about the centre: below 1 the face shrinks into a plain surround (far), above 1 it fills and overflows the frame (close). */
function zoom(frame: RawFrame, scale: number): RawFrame {
  const cx = frame.width / 2;
  const cy = frame.height / 2;
  const inside = (x: number, y: number): boolean => x >= 0 && y >= 0 && x <= frame.width - 1 && y <= frame.height - 1;
  const zoomed = remap(frame, (x, y, at) => {
    at[0] = cx + (x - cx) / scale;
    at[1] = cy + (y - cy) / scale;
  });
  if (scale >= 1) return zoomed;
  // Outside the shrunk photo is the room, not the photo's repeated edge.
  for (let y = 0; y < frame.height; y++) {
    for (let x = 0; x < frame.width; x++) {
      if (inside(cx + (x - cx) / scale, cy + (y - cy) / scale)) continue;
      const o = (y * frame.width + x) * 3;
      zoomed.data[o] = EMPTY_ROOM.r;
      zoomed.data[o + 1] = EMPTY_ROOM.g;
      zoomed.data[o + 2] = EMPTY_ROOM.b;
    }
  }
  return zoomed;
}

/**
 * Light as the sensor sees it: dark is 15 % of the light (below the "too dark" gate), bright is
 * washed out towards white. A long exposure lifts a dark scene to 55 %, IR to a grey 70 %.
 */
function lit(frame: RawFrame, light: Light, exposure: "auto" | "long" | "ir"): RawFrame {
  if (light === "normal") return frame;
  const data = new Uint8Array(frame.data.length);
  const gain = light === "bright" ? 1 : exposure === "long" ? 0.55 : exposure === "ir" ? 0.7 : 0.15;
  for (let i = 0; i < frame.data.length; i += 3) {
    const r = frame.data[i] ?? 0;
    const g = frame.data[i + 1] ?? 0;
    const b = frame.data[i + 2] ?? 0;
    if (light === "bright") {
      for (const [c, v] of [r, g, b].entries()) data[i + c] = Math.min(255, 150 + v * 0.75);
    } else if (exposure === "ir") {
      const grey = Math.round((0.299 * r + 0.587 * g + 0.114 * b) * gain + 20);
      data[i] = grey;
      data[i + 1] = grey;
      data[i + 2] = grey;
    } else {
      data[i] = Math.round(r * gain);
      data[i + 1] = Math.round(g * gain);
      data[i + 2] = Math.round(b * gain);
    }
  }
  return { data, width: frame.width, height: frame.height };
}

/**
 * A head turn as a rotation of the head about its vertical axis, the head taken as a cylinder of
 * radius 1.3 eye distances behind the eyes: the face slides round it, so the nose moves towards one
 * jaw line while that side of the face is foreshortened and the other widens, up to 40° of yaw
 * (`amount` 0..1 ramps it over the burst). Outside the cylinder, and above the brow and below the
 * chin, the picture stays where it is. turn_left is the subject's left: the image's right.
 */
function turnFace(frame: RawFrame, eyes: readonly [Point, Point], gesture: "turn_left" | "turn_right", amount: number): RawFrame {
  if (amount <= 0) return frame;
  const [right, left] = eyes;
  const iod = Math.max(8, Math.hypot(left.x - right.x, left.y - right.y));
  const axisX = (right.x + left.x) / 2;
  const centreY = (right.y + left.y) / 2 + 0.5 * iod;
  const radius = 1.3 * iod;
  const yaw = (gesture === "turn_left" ? 1 : -1) * (40 * Math.PI / 180) * amount;
  return remap(frame, (x, y, at) => {
    const u = (x - axisX) / radius;
    at[1] = y;
    if (Math.abs(u) >= 1) {
      at[0] = x;
      return;
    }
    // The surface point seen at x came from angle asin(u) − yaw before the turn.
    const from = Math.max(-Math.PI / 2, Math.min(Math.PI / 2, Math.asin(u) - yaw));
    const turned = axisX + radius * Math.sin(from);
    // Fade back to the still picture near the silhouette and away from the face vertically.
    const edge = smoothstep(0.8, 1, Math.abs(u));
    const vertical = smoothstep(1.6 * iod, 2.2 * iod, Math.abs(y - centreY));
    const keep = Math.max(edge, vertical);
    at[0] = keep * x + (1 - keep) * turned;
  });
}

function smoothstep(from: number, to: number, value: number): number {
  const t = Math.min(1, Math.max(0, (value - from) / (to - from)));
  return t * t * (3 - 2 * t);
}

/**
 * A blink as a geometric warp: the skin above each eye slides down over it (the upper lid closing),
 * by up to 0.5 eye distances at full closure, fading out sideways and above the brow, while the
 * lower lid stays put. Painting the eye over with skin colour is not enough for a landmark model,
 * which still finds an open eye's contour; moving the skin is closer, though still not a real lid.
 */
export function lowerLids(frame: RawFrame, eyes: readonly [Point, Point], closure: number): RawFrame {
  if (closure <= 0) return frame;
  const [right, left] = eyes;
  const iod = Math.max(8, Math.hypot(left.x - right.x, left.y - right.y));
  const drop = 0.5 * iod * closure;
  const sigmaX = 0.28 * iod;
  const lidLine = 0.12 * iod;
  const reach = 0.7 * iod;
  return remap(frame, (x, y, at) => {
    let dy = 0;
    for (const eye of eyes) {
      const below = y - eye.y;
      const h = below > lidLine ? Math.max(0, 1 - (below - lidLine) / (0.08 * iod)) : below < -reach ? Math.max(0, 1 + (below + reach) / (0.3 * iod)) : 1;
      dy += drop * h * Math.exp(-((x - eye.x) ** 2) / (2 * sigmaX * sigmaX));
    }
    at[0] = x;
    at[1] = y - dy;
  });
}
