import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { Command, Option } from "commander";
import { assessPassiveLiveness, type PassiveLivenessVerdict } from "../../device/face/passive-liveness/index.js";
import { FaceDetector } from "../../device/face/face-detector.js";
import { FaceEmbedder } from "../../device/face/face-embedder.js";
import { decodeFaceImage } from "../../device/face/face-image.js";
import { FaceLandmarker } from "../../device/face/face-landmarker.js";
import { FacePipeline } from "../../device/face/face-pipeline.js";
import { judgeDetections } from "../../device/face/quality-gates.js";
import { TemplateStore } from "../../device/face/template-store.js";
import { readBoxConfig } from "../../firmware-config/box-config-file.js";
import { DEFAULT_MODEL_DIR, modelFiles } from "../../models/model-files.js";
import { checkMod11_2 } from "../../protocol/id-number-check.js";

/**
 * `carewitness face enrol|verify`: the box's face path on photo files, for technicians and for
 * trying the models on real pictures. Templates go to an AES-256-GCM store (device/face/template-store.ts).
 *
 * Exit codes (also in `--help` and the README):
 *   enrol   0 enrolled · 1 not enrolled (too few usable images, or images of different people)
 *           2 usage or setup error · 3 enrolled, but the face is already enrolled under another id
 *   verify  0 verified · 1 face mismatch · 2 usage or setup error · 3 no usable face (none found,
 *           quality gate, unreadable image) · 4 id not enrolled · 5 suspected spoof (face matches,
 *           a passive liveness cue fired)
 */
export const ENROL_EXIT = { enrolled: 0, refused: 1, usage: 2, duplicate: 3 } as const;
export const VERIFY_EXIT = { verified: 0, face_mismatch: 1, usage: 2, no_face: 3, not_enrolled: 4, suspected_spoof: 5 } as const;

export interface FaceCommandDependencies {
  readonly write?: (text: string) => void;
  /** Notes for people (stderr by default); results go to `write`. */
  readonly log?: (line: string) => void;
}

interface CommonFlags {
  id: string;
  store?: string;
  key?: string;
  keyFile?: string;
  boxConfig?: string;
  threshold?: string;
  models: string;
  json?: boolean;
}

/** A usage or setup problem: printed, exit code 2. */
class FaceCliError extends Error {}

const DEFAULT_STORE = ".carewitness/face-templates.db";
const DEFAULT_KEY_FILE = ".carewitness/template.key";

export function faceCommands(deps: FaceCommandDependencies = {}): Command {
  const write = deps.write ?? ((text: string) => process.stdout.write(text));
  const log = deps.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const face = new Command("face").description("Enrol and verify faces from photo files with the box's face pipeline.");

  const enrol = addCommonOptions(
    new Command("enrol")
      .description("Enrol a person from several photos (at least 3 usable), searching the store for the same face under another id.")
      .requiredOption("--images <files...>", "photos of the person, one face each")
      .addHelpText("after", "\nExit codes: 0 enrolled, 1 not enrolled, 2 usage or setup error, 3 enrolled but the face is already enrolled under another id."),
  );
  enrol.action(async (flags: CommonFlags & { images: string[] }) => {
    process.exitCode = await guarded(write, flags.json === true, async () => runEnrol(flags, write, log));
  });

  const verify = addCommonOptions(
    new Command("verify")
      .description("Verify one photo against an enrolled id: match score, threshold, passive liveness cues, decision and reasons.")
      .requiredOption("--image <file>", "the photo to verify")
      .addHelpText(
        "after",
        "\nExit codes: 0 verified, 1 face mismatch, 2 usage or setup error, 3 no usable face, 4 not enrolled, 5 suspected spoof.\n" +
          "A single still image cannot prove liveness (no blink, head turn or micro-motion); only the passive cues are judged.",
      ),
  );
  verify.action(async (flags: CommonFlags & { image: string }) => {
    process.exitCode = await guarded(write, flags.json === true, async () => runVerify(flags, write));
  });
  return face.addCommand(enrol).addCommand(verify);
}

function addCommonOptions(command: Command): Command {
  return command
    .requiredOption("--id <ref>", "the person's reference (the pseudonymous person ref, never a raw ID number)")
    .addOption(new Option("--store <file>", `encrypted template store (default: the box config's, else ${DEFAULT_STORE})`).env("CAREWITNESS_TEMPLATE_STORE"))
    .addOption(new Option("--key <hex>", "template key, 64 hex characters (AES-256)").env("CAREWITNESS_TEMPLATE_KEY"))
    .addOption(new Option("--key-file <file>", `file holding the key as hex (default: the box config's, else ${DEFAULT_KEY_FILE}; enrol creates it, mode 0600)`))
    .option("--box-config <file>", "the box's configuration: its face threshold, template store and key file")
    .option("--threshold <distance>", "match distance threshold (default: the box config's, else the model manifest's calibrated value)")
    .option("--models <dir>", "folder with the model manifests and ONNX files", DEFAULT_MODEL_DIR)
    .option("--json", "print one JSON object");
}

async function guarded(write: (text: string) => void, json: boolean, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof FaceCliError)) throw error;
    write(json ? `${JSON.stringify({ error: error.message })}\n` : `error: ${error.message}\n`);
    return 2;
  }
}

interface Session {
  readonly pipeline: FacePipeline;
  readonly detector: FaceDetector;
  readonly store: TemplateStore;
  close(): Promise<void>;
}

async function openSession(flags: CommonFlags, creating: boolean, log: (line: string) => void): Promise<Session> {
  const check = checkMod11_2(flags.id.trim().toUpperCase());
  if (check.ok) throw new FaceCliError("--id looks like a raw ID number; pass the person's pseudonymous reference instead (raw ID numbers are never stored)");
  const box = flags.boxConfig === undefined ? null : readBoxConfig(flags.boxConfig);
  if (box !== null && !box.ok) throw new FaceCliError(`${flags.boxConfig ?? ""}: ${box.problem.message}`);
  const config = box?.config ?? null;
  const threshold = flags.threshold === undefined ? (config?.behaviour.faceThreshold ?? null) : Number(flags.threshold);
  if (threshold !== null && !(Number.isFinite(threshold) && threshold > 0)) throw new FaceCliError(`--threshold must be a positive number, got ${flags.threshold ?? ""}`);
  const key = templateKey(flags, config?.keys.templateKeyPath ?? null, creating, log);
  const storePath = flags.store ?? config?.templates.path ?? DEFAULT_STORE;
  if (!creating && !existsSync(storePath)) throw new FaceCliError(`no template store at ${storePath}: enrol someone first, or pass --store`);
  mkdirSync(dirname(storePath), { recursive: true });
  const load = async <T>(id: string, loader: (manifest: string, onnx: string) => Promise<T>): Promise<T> => {
    const files = modelFiles(id, flags.models);
    if (!existsSync(files.onnx)) throw new FaceCliError(`model ${id} is not in ${flags.models}: run carewitness models build`);
    return loader(files.manifest, files.onnx);
  };
  const detector = await load("blazeface-back-256", (m, o) => FaceDetector.load(m, o));
  const embedder = await load("dlib-resnet-v1", (m, o) => FaceEmbedder.load(m, o));
  const landmarker = await load("face-landmark-68", (m, o) => FaceLandmarker.load(m, o));
  const store = new TemplateStore(storePath, key);
  const pipeline = new FacePipeline(detector, embedder, { landmarker, matchThreshold: threshold });
  return {
    pipeline,
    detector,
    store,
    async close() {
      store.close();
      await Promise.all([detector.close(), embedder.close(), landmarker.close()]);
    },
  };
}

function templateKey(flags: CommonFlags, configKeyFile: string | null, creating: boolean, log: (line: string) => void): Buffer {
  if (flags.key !== undefined) return hexKey(flags.key, "--key");
  const file = flags.keyFile ?? configKeyFile ?? DEFAULT_KEY_FILE;
  if (!existsSync(file)) {
    if (!creating || file !== DEFAULT_KEY_FILE) throw new FaceCliError(`no template key at ${file}: pass --key or --key-file`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    log(`created a new template key in ${file} (mode 0600); keep it: templates cannot be read without it`);
  }
  return hexKey(readFileSync(file, "utf8").trim(), file);
}

function hexKey(text: string, source: string): Buffer {
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new FaceCliError(`${source}: the template key must be 64 hex characters (32 bytes)`);
  return Buffer.from(text, "hex");
}

function readImage(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new FaceCliError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function runEnrol(flags: CommonFlags & { images: string[] }, write: (text: string) => void, log: (line: string) => void): Promise<number> {
  const images = flags.images.map((path) => ({ path, bytes: readImage(path) }));
  const session = await openSession(flags, true, log);
  try {
    const { pipeline, store } = session;
    // Each image judged on its own first, so the report can say what was wrong with which file.
    const perImage = [];
    for (const image of images) {
      const analysis = await pipeline.analyse(image.bytes);
      const problem = analysis.verdict.ok ? null : analysis.verdict.reason;
      perImage.push({ image: basename(image.path), usable: analysis.descriptor !== null, problem, detail: analysis.imageError?.message ?? null });
    }
    const result = await pipeline.enrol(
      images.map((i) => i.bytes),
      flags.id,
      store,
    );
    const duplicates = result.ok ? result.duplicateOf.map((d) => ({ id: d.personRef, distance: round(d.distance) })) : [];
    const code = !result.ok ? ENROL_EXIT.refused : duplicates.length > 0 ? ENROL_EXIT.duplicate : ENROL_EXIT.enrolled;
    const summary = {
      id: flags.id,
      enrolled: result.ok,
      reason: result.ok ? null : result.reason,
      usableImages: result.ok ? result.template.frames : result.goodFrames,
      images: perImage,
      duplicates,
      model: pipeline.model,
      alignment: pipeline.alignment,
      threshold: pipeline.threshold,
      exitCode: code,
    };
    if (flags.json === true) {
      write(`${JSON.stringify(summary)}\n`);
      return code;
    }
    for (const i of perImage) write(`  ${i.image}: ${i.usable ? "usable" : `not usable (${i.problem ?? "unknown"}${i.detail === null ? "" : `: ${i.detail}`})`}\n`);
    if (!result.ok) {
      const why = result.reason === "inconsistent_frames" ? "the photos do not all show the same person" : "fewer than 3 photos had a usable face";
      write(`not enrolled: ${why} (${result.goodFrames} usable)\n`);
    } else {
      write(`enrolled ${flags.id}: template from ${result.template.frames} photo(s), model ${pipeline.model}, alignment ${pipeline.alignment}\n`);
      for (const d of duplicates) write(`WARNING: this face is already enrolled as ${d.id} (distance ${d.distance} < threshold ${pipeline.threshold}): one face under two ids\n`);
    }
    return code;
  } finally {
    await session.close();
  }
}

async function runVerify(flags: CommonFlags & { image: string }, write: (text: string) => void): Promise<number> {
  const bytes = readImage(flags.image);
  const decoded = await decodeFaceImage(bytes);
  const session = await openSession(flags, false, () => undefined);
  try {
    const { pipeline, store, detector } = session;
    const match = decoded.ok ? await pipeline.verify([bytes], flags.id, store) : null;
    // Passive cues on the one frame (screen or photo border, moiré, glare); motion needs a burst.
    let liveness: PassiveLivenessVerdict | null = null;
    if (decoded.ok && match !== null && (match.outcome === "verified" || match.outcome === "face_mismatch")) {
      const verdict = judgeDetections(await detector.detect(decoded.image), decoded.image.width);
      if (verdict.ok) liveness = assessPassiveLiveness([{ image: decoded.image, face: verdict.face }]);
    }
    const reasons: string[] = [];
    let decision: keyof typeof VERIFY_EXIT;
    if (!decoded.ok) {
      decision = "no_face";
      reasons.push(`unreadable image (${decoded.error.code}): ${decoded.error.message}`);
    } else if (match === null || match.outcome === "no_face") {
      decision = "no_face";
      reasons.push(`no usable face${match?.outcome === "no_face" && match.coaching !== null ? `: ${match.coaching}` : ""}`);
    } else if (match.outcome === "not_enrolled") {
      decision = "not_enrolled";
      reasons.push(`no template for ${flags.id} with model ${pipeline.model}`);
    } else if (match.outcome === "face_mismatch") {
      decision = "face_mismatch";
      reasons.push(`distance ${round(match.distance)} is not below the threshold ${match.threshold}: a different person`);
    } else if (liveness !== null && liveness.fired.length > 0) {
      decision = "suspected_spoof";
      reasons.push(`the face matches (distance ${round(match.distance)} < ${match.threshold}), but passive liveness cues fired: ${liveness.fired.join(", ")}`);
    } else {
      decision = "verified";
      reasons.push(`distance ${round(match.distance)} is below the threshold ${match.threshold}: the same person`);
      reasons.push("liveness not established: a still image shows no blink, head turn or micro-motion; only the passive cues were checked and none fired");
    }
    const result = {
      id: flags.id,
      image: basename(flags.image),
      decision,
      score: match !== null && "distance" in match ? round(match.distance) : null,
      threshold: pipeline.threshold,
      metric: "euclidean_distance",
      model: pipeline.model,
      alignment: pipeline.alignment,
      liveness: liveness === null ? null : livenessForOutput(liveness),
      reasons,
      exitCode: VERIFY_EXIT[decision],
    };
    if (flags.json === true) write(`${JSON.stringify(result)}\n`);
    else {
      write(`decision:  ${decision}\n`);
      write(`score:     ${result.score === null ? "n/a" : `${result.score} (Euclidean distance; lower is closer)`}\n`);
      write(`threshold: ${result.threshold} (${pipeline.model}, alignment ${pipeline.alignment})\n`);
      if (liveness === null) write("liveness:  not judged (no usable face)\n");
      else {
        write(`liveness:  passive cues on one still image, score ${liveness.score.toFixed(2)} (0.5 = a cue at its threshold)\n`);
        for (const [cue, r] of Object.entries(liveness.cues)) {
          write(`           ${cue.padEnd(7)} ${r.value === null ? "not judged (needs a burst of frames)" : `${r.value.toFixed(3)} vs ${r.threshold}${r.fired ? "  FIRED" : ""}`}\n`);
        }
        write("           a still image cannot show a blink, a head turn or micro-motion: it is a face match, not proof of a live person\n");
      }
      for (const reason of reasons) write(`reason:    ${reason}\n`);
    }
    return VERIFY_EXIT[decision];
  } finally {
    await session.close();
  }
}

function livenessForOutput(v: PassiveLivenessVerdict): Record<string, unknown> {
  return { method: "passive_cues_single_frame", score: round(v.score), fired: v.fired, cues: v.cues, activeChallenge: "not possible on a still image" };
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
