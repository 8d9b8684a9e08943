import { createHash } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, Option } from "commander";
import { startGateway } from "../../gateway/gateway-service.js";
import { newApiToken } from "../../gateway/http/api-auth.js";
import { formatSimulationSummary, runFleetSimulation } from "../../simulator/fleet/fleet-simulation.js";
import { SimulationOptions } from "../../simulator/fleet/simulation-options.js";
import { stderrLog } from "../cli-log.js";
import { parseIntOption } from "../store-options.js";
import { waitForSignal } from "./gateway-command.js";
import { inProcessGateway, runScenarioFile } from "./simulate-hardware-command.js";

/**
 * `npm start`: the whole system on one machine with nothing else installed — the gateway on the
 * embedded broker and SQLite, one simulated institution feeding it — and where to look.
 */
export function demoCommand(): Command {
  return new Command("demo")
    .description("Run the gateway (embedded broker, SQLite) with a simulated institution feeding it, then keep serving.")
    .option("--db <path>", "SQLite file (recreated on each demo run)", ".carewitness/demo.db")
    .addOption(new Option("--http-port <port>", "REST API port").argParser(parseIntOption("--http-port")).default(8080))
    .addOption(new Option("--mqtt-port <port>", "embedded broker port").argParser(parseIntOption("--mqtt-port")).default(1884))
    .addOption(new Option("--days <n>", "days of simulated traffic").argParser(parseIntOption("--days")).default(7))
    .option("--exit", "stop once the simulation is done instead of serving on")
    .addOption(new Option("--faces <dir>", "also run the short hardware scenario (real box agents, kiosk pages) with the face photos in DIR (LFW layout)").env("CAREWITNESS_FACES_DIR"))
    .addOption(new Option("--kiosk-port <port>", "first kiosk port of the hardware scenario").argParser(parseIntOption("--kiosk-port")).default(8090))
    .action(async (flags: { db: string; httpPort: number; mqttPort: number; days: number; exit?: boolean; faces?: string; kioskPort: number }) => {
      const log = stderrLog(true);
      // A fixed demo key, shared by the simulated boxes and the gateway, so billing can be imported and matched.
      const pseudonymKey = createHash("sha256").update("carewitness demo pseudonym key").digest("hex");
      for (const suffix of ["", "-wal", "-shm"]) rmSync(`${flags.db}${suffix}`, { force: true });
      const gateway = await startGateway(
        { gatewayId: "demo", store: { kind: "sqlite", path: flags.db }, mqtt: { url: null, embeddedPort: flags.mqttPort }, http: { port: flags.httpPort }, pseudonymKey },
        log,
      );
      const { token, tokenHash } = newApiToken();
      await gateway.store.createApiToken({ name: "demo admin", role: "admin", site: null, tokenHash, createdAt: Date.now() });
      process.stdout.write(`CareWitness demo: gateway on ${gateway.httpUrl}, MQTT broker on ${gateway.mqttUrl}\nSimulating one institution for ${flags.days} days...\n`);

      const summary = await runFleetSimulation(
        SimulationOptions.parse({
          mqttUrl: gateway.mqttUrl,
          protocolVersion: 4,
          gatewayUrl: gateway.httpUrl,
          gatewayToken: token,
          seed: "carewitness-demo",
          sites: 1,
          siteIdPrefix: "DEMO",
          days: flags.days,
          endAt: Date.now(),
          badShare: 0.03,
          pseudonymKey,
          clearRetainedStatus: false,
        }),
        (progress) => {
          process.stderr.write(`\r${progress.line}`);
        },
      );
      process.stderr.write("\n");
      process.stdout.write(`${formatSimulationSummary(summary)}\n`);
      const auth = `-H 'authorization: Bearer ${token}'`;
      process.stdout.write(
        [
          "",
          "Where to look (admin token below, shown once):",
          `  token            ${token}`,
          `  health           curl ${gateway.httpUrl}/health`,
          `  events           curl ${auth} '${gateway.httpUrl}/api/v1/events?limit=5'`,
          `  alerts           curl ${auth} ${gateway.httpUrl}/api/v1/alerts`,
          `  quarantine       curl ${auth} ${gateway.httpUrl}/api/v1/quarantine/counts`,
          `  boxes            curl ${auth} ${gateway.httpUrl}/api/v1/devices`,
          `  API description  ${gateway.httpUrl}/api/v1/openapi.json`,
          `  pseudonym key    ${pseudonymKey} (demo only; billing imports need it: carewitness billing import FILE --sqlite ${flags.db} --pseudonym-key <key>)`,
          `  MQTT             mosquitto_sub -h 127.0.0.1 -p ${new URL(gateway.mqttUrl).port} -t 'cw/v1/#' -v`,
          "",
        ].join("\n"),
      );
      // Opt-in: real box agents need the face photos, which the product never reads from a default place.
      const boxes =
        flags.faces === undefined
          ? null
          : await runScenarioFile({ scenarioFile: shortDemoScenario(), facesDir: flags.faces, gateway: inProcessGateway(gateway, token), kioskPort: flags.kioskPort, paceMs: 0, truthOut: ".carewitness/demo-scenario-truth.json", json: false });
      if (flags.exit !== true) {
        process.stdout.write("Serving; Ctrl-C stops.\n");
        await waitForSignal();
      }
      await boxes?.stop();
      await gateway.close();
    });
}

/** simulator/scenarios/short-demo.json of this package, from the source tree (tsx) or from dist/. */
function shortDemoScenario(): string {
  const fromSource = fileURLToPath(new URL("../../simulator/scenarios/short-demo.json", import.meta.url));
  return existsSync(fromSource) ? fromSource : fileURLToPath(new URL("../../../simulator/scenarios/short-demo.json", import.meta.url));
}
