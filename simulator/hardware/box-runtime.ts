import type { KeyObject } from "node:crypto";
import type { RosterEntry } from "../../firmware-config/box-settings.js";
import type { Clock, FrameSource, KioskScreen } from "../../device/ports.js";

/**
 * The seam between the hardware simulator and the box software it runs. The simulator owns the
 * virtual hardware (reader on a pseudo-terminal, camera, network link, clock) and the scenario; the
 * composition root (cli/commands/hardware-box-runtime.ts) starts a real box agent on them with its
 * kiosk server. So simulator/ does not import the device's agent, as the import rules ask.
 */
export interface SimulatedBoxSpec {
  readonly id: string;
  readonly site: string;
  readonly role: "dialysis_station" | "ward_round";
  readonly location: string;
  /** The box's own folder: configuration, keys, outbox, templates. */
  readonly dir: string;
  /** The broker as this box reaches it (through its network link). */
  readonly mqttUrl: string;
  /** The host end of the reader's pseudo-terminal: what the box opens as its serial port. */
  readonly readerPath: string;
  readonly camera: FrameSource;
  readonly roster: readonly RosterEntry[];
  /** Camera exposure for night rounds (21:00-06:00 local). */
  readonly nightExposure: "auto" | "long" | "ir";
  readonly signingKey: KeyObject;
  readonly pseudonymKey: Buffer;
  readonly pseudonymKeyId: string;
  readonly clock: Clock;
  /** 0: any free port. */
  readonly kioskPort: number;
  /** Every screen the agent shows (after its kiosk has it). */
  readonly onScreen: (screen: KioskScreen) => void;
  /** An event the agent wrote to its outbox. */
  readonly onRecorded: (entry: { readonly id: string; readonly seq: number; readonly kind: string; readonly outcome: string }) => void;
  readonly onProblem: (detail: string) => void;
}

export interface SimulatedBoxHandle {
  readonly kioskUrl: string;
  /** Stores a face template for a person ref (an enrolment done before the scenario). */
  enrol(personRef: string, photos: readonly Buffer[]): Promise<void>;
  /** Events in the outbox not yet acknowledged by the gateway. */
  backlog(): number;
  stop(): Promise<void>;
}

export type StartSimulatedBox = (spec: SimulatedBoxSpec) => Promise<SimulatedBoxHandle>;
