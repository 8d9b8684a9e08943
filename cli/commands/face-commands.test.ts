import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import sharp from "sharp";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { runCarewitness } from "../cli-process.js";
import { faceCommands } from "./face-commands.js";

/**
 * `carewitness face enrol|verify` on real LFW photos (../shared/faces, grayscale), at the model
 * manifest's calibrated threshold: same person verified, another person refused, one face under two
 * ids reported, bad files refused with their reason and exit code.
 */
const LFW = fileURLToPath(new URL("../../../shared/faces/lfw/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "cw-face-cli-"));
const store = join(dir, "templates.db");
const keyFile = join(dir, "template.key");
writeFileSync(keyFile, `${"ab".repeat(32)}\n`);

afterEach(() => {
  process.exitCode = undefined;
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** 0004 fires no passive liveness cue (device/face/passive-liveness); the others are the template. */
const AGASSI_ENROL = ["0001", "0002", "0009", "0016"].map((n) => join(LFW, "Andre_Agassi", `Andre_Agassi_${n}.jpg`));
const AGASSI_LIVE_LOOKING = join(LFW, "Andre_Agassi", "Andre_Agassi_0004.jpg");

function photos(name: string): string[] {
  return readdirSync(join(LFW, name))
    .sort()
    .map((file) => join(LFW, name, file));
}

async function face(args: readonly string[]): Promise<{ out: string; code: number }> {
  let out = "";
  const program = new Command().exitOverride().addCommand(faceCommands({ write: (text) => (out += text), log: () => undefined }));
  await program.parseAsync(["node", "carewitness", "face", ...args, "--store", store, "--key-file", keyFile]);
  const code = typeof process.exitCode === "number" ? process.exitCode : 0;
  process.exitCode = undefined;
  return { out, code };
}

async function faceJson(args: readonly string[]): Promise<{ json: Record<string, unknown>; code: number }> {
  const { out, code } = await face([...args, "--json"]);
  return { json: JSON.parse(out) as Record<string, unknown>, code };
}

describe("carewitness face", () => {
  it("enrols from several photos and verifies a new photo of the same person (exit 0)", { timeout: 60_000 }, async () => {
    const agassi = photos("Andre_Agassi");
    const enrolled = await faceJson(["enrol", "--id", "ref-agassi", "--images", ...AGASSI_ENROL]);
    expect(enrolled.code).toBe(0);
    expect(enrolled.json).toMatchObject({ enrolled: true, usableImages: 4, duplicates: [], model: "dlib-resnet-v1@2", alignment: "landmarks68" });
    expect(statSync(store).size).toBeGreaterThan(0);

    const verified = await faceJson(["verify", "--id", "ref-agassi", "--image", AGASSI_LIVE_LOOKING]);
    expect(verified.code).toBe(0);
    expect(verified.json).toMatchObject({ decision: "verified", exitCode: 0, liveness: { method: "passive_cues_single_frame", fired: [] } });
    expect(verified.json.score as number).toBeLessThan(verified.json.threshold as number);
    const human = await face(["verify", "--id", "ref-agassi", "--image", AGASSI_LIVE_LOOKING]);
    expect(human.out).toContain("decision:  verified");
    expect(human.out).toMatch(/threshold: 0\.\d+/);
    expect(human.out).toContain("not proof of a live person");
    expect(agassi).toContain(AGASSI_LIVE_LOOKING);
  });

  it("calls a matching face with a passive cue fired a suspected spoof (exit 5), naming the cue", { timeout: 60_000 }, async () => {
    // The same photo with a saturated highlight on the cheek, as a glossy print or a screen under a lamp
    // shows: the face still matches, and the glare cue fires.
    const highlight = Buffer.from('<svg width="250" height="250"><ellipse cx="150" cy="140" rx="24" ry="18" fill="white"/></svg>');
    const glared = join(dir, "glare.jpg");
    writeFileSync(glared, await sharp(AGASSI_LIVE_LOOKING).composite([{ input: highlight }]).jpeg({ quality: 95 }).toBuffer());
    const { json, code } = await faceJson(["verify", "--id", "ref-agassi", "--image", glared]);
    expect(json).toMatchObject({ decision: "suspected_spoof", liveness: { fired: expect.arrayContaining(["glare"]) as string[] }, reasons: [expect.stringContaining("the face matches") as string] });
    expect(code).toBe(5);
  });

  it("refuses another person's photo as a face mismatch (exit 1)", { timeout: 60_000 }, async () => {
    const { json, code } = await faceJson(["verify", "--id", "ref-agassi", "--image", photos("Abdullah_Gul")[0] ?? ""]);
    expect(code).toBe(1);
    expect(json).toMatchObject({ decision: "face_mismatch" });
    expect(json.score as number).toBeGreaterThanOrEqual(json.threshold as number);
  });

  it("enrols a face already enrolled under another id, and says so (exit 3)", { timeout: 60_000 }, async () => {
    const gul = photos("Abdullah_Gul");
    expect((await faceJson(["enrol", "--id", "ref-gul-card-1", "--images", ...gul.slice(0, 3)])).code).toBe(0);
    const second = await faceJson(["enrol", "--id", "ref-gul-card-2", "--images", ...gul.slice(3, 7)]);
    expect(second.code).toBe(3);
    expect(second.json).toMatchObject({ enrolled: true, duplicates: [{ id: "ref-gul-card-1" }] });
    const human = await face(["enrol", "--id", "ref-gul-card-3", "--images", ...gul.slice(3, 7)]);
    expect(human.out).toContain("already enrolled as ref-gul-card-1");
  });

  it("does not enrol photos of two different people (exit 1)", { timeout: 60_000 }, async () => {
    const mixed = [...photos("Adrien_Brody").slice(0, 2), ...photos("Al_Sharpton").slice(0, 2)];
    const { json, code } = await faceJson(["enrol", "--id", "ref-mixed", "--images", ...mixed]);
    expect(code).toBe(1);
    expect(json).toMatchObject({ enrolled: false, reason: "inconsistent_frames" });
  });

  it("says which file is unreadable and why, and enrols from the good ones beside it", { timeout: 60_000 }, async () => {
    const truncated = join(dir, "truncated.jpg");
    const text = join(dir, "notes.jpg");
    const agassi = photos("Andre_Agassi");
    writeFileSync(truncated, readFileSync(agassi[2] ?? "").subarray(0, 3000));
    writeFileSync(text, "this is a list of names, not a photo");
    const { json, code } = await faceJson(["enrol", "--id", "ref-agassi-2", "--images", truncated, ...agassi.slice(4, 7), text]);
    expect(code).toBe(3); // enrolled; the face is ref-agassi's, already enrolled
    expect(json.images).toEqual([
      { image: "truncated.jpg", usable: false, problem: "unreadable_image", detail: expect.stringContaining("do not decode") as string },
      expect.objectContaining({ usable: true }),
      expect.objectContaining({ usable: true }),
      expect.objectContaining({ usable: true }),
      { image: "notes.jpg", usable: false, problem: "unreadable_image", detail: expect.stringContaining("not an image") as string },
    ]);
  });

  it("answers no usable face for an unreadable photo (exit 3) and not enrolled for an unknown id (exit 4)", { timeout: 60_000 }, async () => {
    const empty = join(dir, "empty.jpg");
    writeFileSync(empty, "");
    const unreadable = await faceJson(["verify", "--id", "ref-agassi", "--image", empty]);
    expect(unreadable).toMatchObject({ code: 3, json: { decision: "no_face", reasons: [expect.stringContaining("unreadable image (empty)") as string] } });
    const unknown = await faceJson(["verify", "--id", "ref-nobody", "--image", photos("Andre_Agassi")[8] ?? ""]);
    expect(unknown).toMatchObject({ code: 4, json: { decision: "not_enrolled" } });
  });

  it("takes the threshold from the box configuration, and --threshold over it", { timeout: 60_000 }, async () => {
    const config = join(dir, "box.json");
    writeFileSync(
      config,
      JSON.stringify({
        configVersion: 1,
        box: { id: "ward-5b-r1", site: "H50010600123", role: "ward_round", location: "5B" },
        gateway: { mqttUrl: "mqtts://gw.example:8883", httpUrl: "https://gw.example" },
        keys: { signingKeyPath: "/x/box.key", pseudonymKeyPath: "/x/pseudonym.key", pseudonymKeyId: "pk-1", templateKeyPath: keyFile },
        behaviour: { faceThreshold: 0.05, livenessThreshold: null, repeatTapWindowS: 120, maxDialysisSessionMin: 300, nightMode: { from: "21:00", to: "06:00", exposure: "auto" } },
        templates: { path: store, syncIntervalS: 60 },
      }),
    );
    const image = AGASSI_LIVE_LOOKING;
    const strict = await faceJson(["verify", "--id", "ref-agassi", "--image", image, "--box-config", config]);
    expect(strict).toMatchObject({ code: 1, json: { decision: "face_mismatch", threshold: 0.05 } });
    const loose = await faceJson(["verify", "--id", "ref-agassi", "--image", image, "--box-config", config, "--threshold", "0.9"]);
    expect(loose).toMatchObject({ code: 0, json: { threshold: 0.9 } });
  });

  it("refuses a raw ID number as --id, a missing photo and a bad key with exit 2", async () => {
    const raw = await face(["verify", "--id", "11010519491231002X", "--image", photos("Andre_Agassi")[0] ?? ""]);
    expect(raw).toMatchObject({ code: 2, out: expect.stringContaining("raw ID number") as string });
    const missing = await face(["enrol", "--id", "ref-x", "--images", join(dir, "absent.jpg")]);
    expect(missing).toMatchObject({ code: 2, out: expect.stringContaining("cannot read") as string });
    let out = "";
    const program = new Command().exitOverride().addCommand(faceCommands({ write: (text) => (out += text) }));
    await program.parseAsync(["node", "carewitness", "face", "verify", "--id", "ref-agassi", "--image", photos("Andre_Agassi")[0] ?? "", "--store", store, "--key", "abcd"]);
    expect(process.exitCode).toBe(2);
    expect(out).toContain("64 hex characters");
  });

  it("runs as a process: carewitness face verify exits with its documented code", { timeout: 90_000 }, async () => {
    const result = await runCarewitness(["face", "verify", "--id", "ref-nobody", "--image", photos("Andre_Agassi")[0] ?? "", "--store", store, "--key-file", keyFile, "--json"]);
    expect(result.code, result.stderr).toBe(4);
    expect(JSON.parse(result.stdout)).toMatchObject({ decision: "not_enrolled", exitCode: 4 });
    expect(existsSync(store)).toBe(true);
  });
});
