import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SerialPort } from "serialport";
import { BoxConfig } from "../../firmware-config/box-config.js";
import { DEFAULT_BEHAVIOUR } from "../../firmware-config/box-settings.js";
import { writeBoxConfig } from "../../firmware-config/box-config-file.js";
import { startBoxAgent, type RunningBoxAgent } from "../../device/agent/box-agent.js";
import { loadBoxSecrets } from "../../device/agent/box-secrets.js";
import { facePipelineFor, loadFaceModels, pipelineFaceCheckFactory, type FaceModels } from "../../device/agent/face-models.js";
import { TemplateStore } from "../../device/face/template-store.js";
import { startKioskServer } from "../../device/kiosk/kiosk-server.js";
import type { SimulatedBoxHandle, SimulatedBoxSpec, StartSimulatedBox } from "../../simulator/hardware/box-runtime.js";

/**
 * The composition root of `simulate --hardware`: for each simulated box, a real box agent
 * (device/agent) with its kiosk server (device/kiosk), on the simulator's virtual hardware. The
 * face models are loaded once and shared by the boxes of the process; each box has its own keys,
 * configuration, outbox and encrypted template store in its folder, written as provisioning would.
 */
export interface HardwareBoxRuntime {
  readonly startBox: StartSimulatedBox;
  close(): Promise<void>;
}

export async function hardwareBoxRuntime(options: { modelsDir?: string } = {}): Promise<HardwareBoxRuntime> {
  const models: FaceModels = await loadFaceModels(options.modelsDir);
  const started: SimulatedBoxHandle[] = [];

  const startBox = async (spec: SimulatedBoxSpec): Promise<SimulatedBoxHandle> => {
    mkdirSync(spec.dir, { recursive: true });
    const keys = {
      signingKeyPath: join(spec.dir, "box.key"),
      pseudonymKeyPath: join(spec.dir, "pseudonym.key"),
      pseudonymKeyId: spec.pseudonymKeyId,
      templateKeyPath: join(spec.dir, "template.key"),
    };
    writeFileSync(keys.signingKeyPath, spec.signingKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });
    writeFileSync(keys.pseudonymKeyPath, spec.pseudonymKey.toString("hex"), { mode: 0o600 });
    writeFileSync(keys.templateKeyPath, randomBytes(32).toString("hex"), { mode: 0o600 });
    const config = BoxConfig.parse({
      configVersion: 1,
      box: { id: spec.id, site: spec.site, role: spec.role, location: spec.location },
      gateway: { mqttUrl: spec.mqttUrl, httpUrl: "http://127.0.0.1:1", protocolVersion: 4 },
      keys,
      reader: { port: spec.readerPath },
      camera: { kind: "directory", path: join(spec.dir, "unused-camera"), fps: 10 },
      templates: { path: join(spec.dir, "templates.db") },
      outbox: { path: join(spec.dir, "outbox.db") },
      roster: spec.roster,
      behaviour: { ...DEFAULT_BEHAVIOUR, nightMode: { ...DEFAULT_BEHAVIOUR.nightMode, exposure: spec.nightExposure } },
    });
    const configPath = join(spec.dir, "box.json");
    writeBoxConfig(configPath, config);
    const secrets = loadBoxSecrets(config.keys);
    const templates = new TemplateStore(config.templates.path, secrets.templateKey);
    let agent: RunningBoxAgent | null = null;
    const kiosk = await startKioskServer({
      port: spec.kioskPort,
      mode: spec.role,
      label: `${spec.site} · ${spec.location} · ${spec.id}`,
      onTouch: (touch) => agent?.act(touch),
    });
    agent = await startBoxAgent({
      config,
      configPath,
      secrets,
      readerBinding: SerialPort.binding,
      readerOptions: { pollIntervalMs: 100, reconnectDelayMs: 200, maxReconnectDelayMs: 1000 },
      camera: spec.camera,
      face: pipelineFaceCheckFactory(models, templates),
      templates,
      kiosk: {
        show: (screen) => {
          kiosk.show(screen);
          spec.onScreen(screen);
        },
      },
      log: (entry) => {
        if (entry.event === "recorded") spec.onRecorded({ id: entry.id, seq: entry.seq, kind: entry.kind, outcome: entry.outcome });
        else if (entry.event === "problem") spec.onProblem(`${entry.part}: ${entry.detail}`);
      },
      clock: spec.clock,
      clockSync: "unsynced",
      utcOffsetMin: 480,
      timing: { resultMs: 1500, tickMs: 200, deliveryMs: 200, statusMs: 5000 },
    });
    const running = agent;
    // Enrol exactly as the box's checks see faces (landmark alignment, the box's threshold).
    const pipeline = facePipelineFor(models, config.behaviour);
    const handle: SimulatedBoxHandle = {
      kioskUrl: kiosk.url,
      async enrol(personRef, photos) {
        const result = await pipeline.enrol([...photos], personRef, templates);
        if (!result.ok) spec.onProblem(`enrolment of a scenario patient failed: ${result.reason}`);
      },
      backlog: () => running.health().outbox.depth,
      async stop() {
        await running.stop();
        await kiosk.close();
        templates.close();
      },
    };
    started.push(handle);
    return handle;
  };

  return {
    startBox,
    async close() {
      await models.close();
    },
  };
}
