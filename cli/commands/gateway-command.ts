import { Command, Option } from "commander";
import { startGateway } from "../../gateway/gateway-service.js";
import { stderrLog } from "../cli-log.js";
import { addStoreOptions, parseIntOption, storeConfigFrom } from "../store-options.js";

interface GatewayFlags {
  sqlite: string;
  pg?: string;
  pgSchema?: string;
  mqttUrl?: string;
  embeddedPort: number;
  mqttVersion?: number;
  shareGroup: string;
  sessionExpiry: number;
  httpHost: string;
  httpPort: number;
  gatewayId?: string;
  workers?: number;
  maxBatch: number;
  pseudonymKey?: string;
  templateWrapKey?: string;
  evidenceKeyFile?: string;
  quiet?: boolean;
}

export function gatewayCommand(): Command {
  const command = new Command("gateway")
    .description("Run the gateway: ingest signed events over MQTT into SQLite or PostgreSQL, serve the REST API.")
    .addOption(new Option("--mqtt-url <url>", "external broker (e.g. mqtt://127.0.0.1:1883); omit for the embedded broker").env("CAREWITNESS_MQTT_URL"))
    .addOption(new Option("--embedded-port <port>", "embedded broker port").argParser(parseIntOption("--embedded-port")).default(1884))
    .addOption(new Option("--mqtt-version <4|5>", "MQTT protocol version (default 5 external, 4 embedded)").argParser(parseIntOption("--mqtt-version")))
    .addOption(new Option("--share-group <name>", "MQTT v5 shared-subscription group; 'none' to subscribe plainly").default("carewitness-gateway"))
    .addOption(new Option("--session-expiry <seconds>", "how long the broker keeps this gateway's session and queued events").argParser(parseIntOption("--session-expiry")).default(604_800))
    .addOption(new Option("--http-host <host>", "REST API address").env("CAREWITNESS_HTTP_HOST").default("127.0.0.1"))
    .addOption(new Option("--http-port <port>", "REST API port (0: any free port)").env("CAREWITNESS_HTTP_PORT").argParser(parseIntOption("--http-port")).default(8080))
    .addOption(new Option("--gateway-id <id>", "name of this instance").env("CAREWITNESS_GATEWAY_ID"))
    .addOption(new Option("--workers <n>", "signature-verification worker threads (default: one per core)").argParser(parseIntOption("--workers")))
    .addOption(new Option("--max-batch <n>", "most events stored per transaction").argParser(parseIntOption("--max-batch")).default(500))
    .addOption(new Option("--pseudonym-key <hex>", "deployment pseudonym key, for billing imports over the API").env("CAREWITNESS_PSEUDONYM_KEY"))
    .addOption(new Option("--template-wrap-key <hex>", "secret that wraps institution face-template keys at rest (default: derived from the pseudonym key)").env("CAREWITNESS_TEMPLATE_WRAP_KEY"))
    .addOption(new Option("--evidence-key-file <path>", "Ed25519 PEM that signs evidence bundles (the same file on every gateway)").env("CAREWITNESS_EVIDENCE_KEY_FILE"))
    .option("--quiet", "log warnings and errors only");
  addStoreOptions(command);
  return command.action(async (flags: GatewayFlags) => {
    const log = stderrLog(flags.quiet === true);
    if (flags.mqttVersion !== undefined && flags.mqttVersion !== 4 && flags.mqttVersion !== 5) {
      throw new Error("--mqtt-version must be 4 or 5");
    }
    const gateway = await startGateway(
      {
        ...(flags.gatewayId === undefined ? {} : { gatewayId: flags.gatewayId }),
        store: storeConfigFrom(flags),
        mqtt: {
          url: flags.mqttUrl ?? null,
          embeddedPort: flags.embeddedPort,
          ...(flags.mqttVersion === undefined ? {} : { protocolVersion: flags.mqttVersion }),
          shareGroup: flags.shareGroup === "none" ? null : flags.shareGroup,
          sessionExpirySeconds: flags.sessionExpiry,
        },
        http: { host: flags.httpHost, port: flags.httpPort },
        ...(flags.pseudonymKey === undefined ? {} : { pseudonymKey: flags.pseudonymKey }),
        ...(flags.templateWrapKey === undefined ? {} : { templateWrapKey: flags.templateWrapKey }),
        ...(flags.evidenceKeyFile === undefined ? {} : { evidenceKeyPath: flags.evidenceKeyFile }),
        ingest: { maxBatch: flags.maxBatch, ...(flags.workers === undefined ? {} : { verifyWorkers: flags.workers }) },
      },
      log,
    );
    // One machine-readable line on stdout once ready: scripts and tests wait for it.
    process.stdout.write(`${JSON.stringify({ ready: true, gatewayId: gateway.config.gatewayId, http: gateway.httpUrl, mqtt: gateway.mqttUrl, pid: process.pid })}\n`);
    await waitForSignal();
    log("info", "stopping: draining the ingest pipeline");
    await gateway.close();
  });
}

export function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
