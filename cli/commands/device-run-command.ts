import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { Command, Option } from "commander";
import { SerialPort } from "serialport";
import { readBoxConfig } from "../../firmware-config/box-config-file.js";
import { startBoxAgent, type AgentLogEntry, type RunningBoxAgent } from "../../device/agent/box-agent.js";
import { loadBoxSecrets } from "../../device/agent/box-secrets.js";
import { DEFAULT_MODELS_DIR, loadFaceModels, pipelineFaceCheckFactory } from "../../device/agent/face-models.js";
import { TemplateStore } from "../../device/face/template-store.js";
import { startKioskServer, type RunningKiosk } from "../../device/kiosk/kiosk-server.js";
import type { KioskSink } from "../../device/ports.js";
import type { SerialBinding } from "../../device/idcard/serial-binding.js";

/** What `device run` needs from outside; the simulator passes a kiosk sink. */
export interface DeviceRunDependencies {
  readonly binding?: SerialBinding;
  readonly kiosk?: KioskSink;
}

interface RunFlags {
  config: string;
  models: string;
  json?: boolean;
  clockSync: "ntp" | "gateway" | "unsynced";
}

/** One line per log entry: JSON for machines (--json), short words for people. */
function printer(json: boolean): (entry: AgentLogEntry) => void {
  if (json) return (entry) => process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), ...entry })}\n`);
  return (entry) => {
    const at = new Date().toISOString();
    switch (entry.event) {
      case "screen":
        return;
      case "recorded":
        process.stderr.write(`${at} info  recorded ${entry.kind} ${entry.outcome} seq ${entry.seq} (${entry.id})\n`);
        return;
      case "report":
        process.stderr.write(`${at} warn  ${JSON.stringify(entry.report)}\n`);
        return;
      default:
        process.stderr.write(`${at} info  ${JSON.stringify(entry)}\n`);
    }
  };
}

export function deviceRunCommand(dependencies: DeviceRunDependencies = {}): Command {
  return new Command("run")
    .description("Run the box's agent: ID-card reader, camera, face checks, outbox and delivery to the gateway.")
    .requiredOption("--config <file>", "the box's configuration file (written by `device provision`)")
    .option("--models <dir>", "folder of the ONNX face models and their manifests", DEFAULT_MODELS_DIR)
    .option("--json", "one JSON object per line on stdout for every screen, event and problem")
    .addOption(new Option("--clock-sync <how>", "how this box's clock is disciplined, as events report it").choices(["ntp", "gateway", "unsynced"]).default("unsynced"))
    .action(async (flags: RunFlags) => {
      const read = readBoxConfig(flags.config);
      if (!read.ok) {
        process.stderr.write(`cannot start: ${flags.config}: ${read.problem.code}: ${read.problem.message}\n`);
        process.exitCode = 2;
        return;
      }
      const config = read.config;
      const secrets = loadBoxSecrets(config.keys);
      const models = await loadFaceModels(flags.models);
      mkdirSync(dirname(config.templates.path), { recursive: true });
      const templates = new TemplateStore(config.templates.path, secrets.templateKey);
      // The touch screen's page, unless the caller brings its own sink or the configuration turns it off.
      let agent: RunningBoxAgent | null = null;
      const page: RunningKiosk | null =
        dependencies.kiosk === undefined && config.kiosk.enabled
          ? await startKioskServer({
              host: config.kiosk.host,
              port: config.kiosk.port,
              mode: config.box.role,
              label: config.box.location ?? config.box.id,
              language: config.kiosk.language,
              onTouch: (touch) => agent?.act(touch),
            })
          : null;
      if (page !== null) process.stderr.write(`${new Date().toISOString()} info  kiosk page at ${page.url}\n`);
      const kiosk = dependencies.kiosk ?? page ?? undefined;
      // SIGINT/SIGTERM stop the agent (exit 0); the gateway's restart_agent stops it with exit code
      // 75 (EX_TEMPFAIL), which the service unit restarts (Restart=on-failure).
      let restart: (reason: string) => void = () => undefined;
      const stopRequested = new Promise<string | null>((resolve) => {
        process.once("SIGINT", () => resolve(null));
        process.once("SIGTERM", () => resolve(null));
        restart = (reason) => resolve(reason);
      });
      agent = await startBoxAgent({
        config,
        configPath: flags.config,
        secrets,
        readerBinding: dependencies.binding ?? SerialPort.binding,
        face: pipelineFaceCheckFactory(models, templates),
        templates,
        log: printer(flags.json === true),
        clockSync: flags.clockSync,
        ...(kiosk === undefined ? {} : { kiosk }),
        onRestartRequested: (reason) => restart(reason),
      });
      const restartRequested = await stopRequested;
      await agent.stop();
      await page?.close();
      templates.close();
      await models.close();
      if (restartRequested !== null) {
        process.stderr.write(`${new Date().toISOString()} info  restarting at the gateway's request (${restartRequested}); exit ${String(RESTART_EXIT_CODE)}\n`);
        process.exitCode = RESTART_EXIT_CODE;
      }
    });
}

/** The exit code that asks the service manager for a restart (sysexits EX_TEMPFAIL). */
export const RESTART_EXIT_CODE = 75;
