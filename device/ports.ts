/**
 * The box's seams: small interfaces that production wires to real parts (serial reader, camera,
 * MQTT) and tests and the simulator wire to virtual ones, so both run the same flows.
 */

/** Publishes with QoS 1; resolves once the broker has the message (PUBACK), which deletes nothing. */
export interface EventPublisher {
  publish(topic: string, payload: Buffer): Promise<void>;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** One encoded camera frame (JPEG or PNG bytes, as a camera or a file delivers them). */
export interface CameraFrame {
  readonly image: Buffer;
  /** Milliseconds since the epoch on the box's clock when the frame was captured. */
  readonly capturedAt: number;
  /** Monotonic frame counter of the source, from 0. */
  readonly index: number;
}

/** What a camera source reports for the box's health. */
export interface CameraHealth {
  readonly state: "starting" | "streaming" | "stalled" | "stopped" | "failed";
  /** Milliseconds since the epoch of the last frame, or null before the first one. */
  readonly lastFrameAt: number | null;
  readonly framesDelivered: number;
  readonly restarts: number;
  /** Last problem in words a technician can act on, or null. */
  readonly problem: string | null;
}

/**
 * A camera: real (ffmpeg on V4L2 or RTSP), a directory or video file, or the simulator's virtual
 * camera. The flows ask for a short burst; a source that delivers nothing within the timeout returns
 * fewer frames (possibly none) and shows it in `health()`.
 */
export interface FrameSource {
  start(): Promise<void>;
  /** Up to `count` frames captured from now on, waiting at most `timeoutMs` in all. */
  burst(count: number, timeoutMs: number): Promise<readonly CameraFrame[]>;
  health(): CameraHealth;
  stop(): Promise<void>;
  /** Night rounds: exposure from configuration; sources that cannot change it leave it out. */
  setExposure?(exposure: "auto" | "long" | "ir"): Promise<void>;
}

/** Languages of the kiosk screen; Simplified Chinese is the default. */
export type KioskLanguage = "zh-CN" | "en";

/**
 * What the kiosk shows, as data: the agent's flows produce it, the kiosk page renders it. Person
 * details are masked before they get here (masked name, masked ID number); never a raw ID number.
 */
export type KioskScreen =
  | { readonly screen: "idle"; readonly mode: "dialysis_station" | "ward_round" }
  | { readonly screen: "place_card" }
  | { readonly screen: "reading_card" }
  | { readonly screen: "card_problem"; readonly problem: "unreadable" | "invalid_card" | "reader_offline" }
  | { readonly screen: "look_at_camera"; readonly person: KioskPerson }
  /** A quality gate's prompt: "move closer", "too dark", "face the camera"... */
  | { readonly screen: "coaching"; readonly person: KioskPerson; readonly prompt: string }
  | { readonly screen: "challenge"; readonly person: KioskPerson; readonly challenge: "blink" | "turn_left" | "turn_right" }
  | { readonly screen: "result"; readonly person: KioskPerson | null; readonly outcome: string; readonly kind: string; readonly failedPart: "face" | "liveness" | "card" | null; readonly message?: string }
  | { readonly screen: "pick_bed"; readonly ward: string; readonly beds: readonly { readonly bed: string; readonly person: KioskPerson | null }[] }
  | { readonly screen: "nurse_card"; readonly purpose: "enrolment" | "attestation" }
  | { readonly screen: "enrolment"; readonly person: KioskPerson | null; readonly step: "patient_card" | "capturing" | "done" | "failed"; readonly goodFrames: number; readonly framesNeeded: number; readonly problem?: string }
  | { readonly screen: "attestation"; readonly person: KioskPerson; readonly step: "choose_reason" | "done" }
  | { readonly screen: "camera_problem" };

export interface KioskPerson {
  /** Masked name, e.g. 张*三. */
  readonly maskedName: string;
  /** Masked ID number, e.g. 1101**********1234. */
  readonly maskedId: string;
}

/** Where the flows put what the screen should show; the kiosk server implements it. */
export interface KioskSink {
  show(screen: KioskScreen): void;
}
