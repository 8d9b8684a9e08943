import { Command, Option } from "commander";
import { formatSimulationSummary, runFleetSimulation } from "../../simulator/fleet/fleet-simulation.js";
import { SimulationOptions, type SimulationOptionsInput } from "../../simulator/fleet/simulation-options.js";
import { parseIntOption } from "../store-options.js";
import { runHardwareSimulate, type HardwareSimulateFlags } from "./simulate-hardware-command.js";

interface SimulateFlags {
  mqttUrl: string;
  mqttVersion: number;
  gatewayUrl: string;
  token?: string;
  register: boolean;
  seed: string;
  sites: number;
  sitePrefix: string;
  stations: number;
  wards: number;
  beds: number;
  days: number;
  end?: string;
  badShare: number;
  rate: number;
  resendAfterMs: number;
  deadlineMs: number;
  pseudonymKey?: string;
  maxConnections: number;
  json?: boolean;
}

const number = (name: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number, got ${JSON.stringify(value)}`);
  return n;
};

/** Maps the CLI flags onto the simulator's option schema, which validates them. */
export function simulationOptionsFrom(flags: SimulateFlags): SimulationOptions {
  const input: SimulationOptionsInput = {
    mqttUrl: flags.mqttUrl,
    protocolVersion: flags.mqttVersion === 4 ? 4 : 5,
    gatewayUrl: flags.gatewayUrl,
    ...(flags.token === undefined ? {} : { gatewayToken: flags.token }),
    register: flags.register,
    seed: flags.seed,
    sites: flags.sites,
    siteIdPrefix: flags.sitePrefix,
    stationsPerSite: flags.stations,
    wardsPerSite: flags.wards,
    bedsPerWard: flags.beds,
    days: flags.days,
    endAt: flags.end ?? Date.now(),
    badShare: flags.badShare,
    rate: flags.rate,
    resendAfterMs: flags.resendAfterMs,
    deadlineMs: flags.deadlineMs,
    maxConnections: flags.maxConnections,
    ...(flags.pseudonymKey === undefined ? {} : { pseudonymKey: flags.pseudonymKey }),
  };
  return SimulationOptions.parse(input);
}

export function simulateCommand(): Command {
  return new Command("simulate")
    .description(
      "Simulate a fleet of boxes: register them, publish seeded, signed dialysis and ward-round events (plus a share of hostile traffic) over MQTT, re-send until the gateway acks, and print the ground truth.",
    )
    .addOption(new Option("--mqtt-url <url>", "broker").env("CAREWITNESS_MQTT_URL").default("mqtt://127.0.0.1:1884"))
    .addOption(new Option("--mqtt-version <4|5>", "MQTT protocol version").argParser(parseIntOption("--mqtt-version")).default(4))
    .addOption(new Option("--gateway-url <url>", "gateway REST API, for registering the boxes").env("CAREWITNESS_GATEWAY_URL").default("http://127.0.0.1:8080"))
    .addOption(new Option("--token <token>", "bearer token (admin, or hospital for a single site)").env("CAREWITNESS_TOKEN"))
    .option("--no-register", "do not register the boxes (already registered)")
    .option("--seed <text>", "seed: equal seeds and --end give identical traffic", "carewitness")
    .addOption(new Option("--sites <n>", "institutions").argParser(parseIntOption("--sites")).default(3))
    .option("--site-prefix <text>", "prefix of site ids", "H")
    .addOption(new Option("--stations <n>", "dialysis stations per institution").argParser(parseIntOption("--stations")).default(8))
    .addOption(new Option("--wards <n>", "wards (ward-round boxes) per institution").argParser(parseIntOption("--wards")).default(2))
    .addOption(new Option("--beds <n>", "beds per ward").argParser(parseIntOption("--beds")).default(24))
    .addOption(new Option("--days <n>", "days of traffic ending at --end").argParser(parseIntOption("--days")).default(3))
    .option("--end <time>", "end of the simulated period, RFC 3339 (default: now)")
    .addOption(new Option("--bad-share <fraction>", "share of hostile or broken messages").argParser(number("--bad-share")).default(0.05))
    .addOption(new Option("--rate <n>", "publications per second, 0 = as fast as the broker takes them").argParser(number("--rate")).default(0))
    .addOption(new Option("--resend-after-ms <ms>", "re-publish an event not acked by the gateway after this long").argParser(parseIntOption("--resend-after-ms")).default(10_000))
    .addOption(new Option("--deadline-ms <ms>", "give up after this long").argParser(parseIntOption("--deadline-ms")).default(600_000))
    .addOption(new Option("--max-connections <n>", "cap on MQTT connections; boxes share above it").argParser(parseIntOption("--max-connections")).default(200))
    .addOption(new Option("--pseudonym-key <hex|base64url>", "deployment pseudonym key for person refs").env("CAREWITNESS_PSEUDONYM_KEY"))
    .option("--json", "print the summary as one JSON object")
    .option("--hardware", "run real box agents on virtual hardware (ID-card reader on a pseudo-terminal, virtual camera) through a scenario file")
    .option("--scenario <file>", "with --hardware: the scenario (simulator/scenarios/README.md)")
    .addOption(new Option("--faces <dir>", "with --hardware: folder of face photos, one sub-folder per person (LFW layout)").env("CAREWITNESS_FACES_DIR"))
    .option("--gateway-mqtt <url|embedded>", "with --hardware: the gateway's broker, or `embedded` to start a gateway (SQLite) in this process", "embedded")
    .addOption(new Option("--kiosk-port <n>", "with --hardware: first kiosk port, one per box (0: any free ports)").argParser(parseIntOption("--kiosk-port")).default(8090))
    .addOption(new Option("--http-port <n>", "with --hardware and an embedded gateway: its REST API port").argParser(parseIntOption("--http-port")).default(8080))
    .addOption(new Option("--embedded-port <n>", "with --hardware and an embedded gateway: its broker port").argParser(parseIntOption("--embedded-port")).default(1884))
    .option("--db <path>", "with --hardware and an embedded gateway: its SQLite file (recreated)", ".carewitness/simulate-hardware.db")
    .option("--truth-out <file>", "with --hardware: where to write what truly happened (JSON)", ".carewitness/scenario-truth.json")
    .addOption(new Option("--pace-ms <ms>", "with --hardware: pause before each step, to follow the kiosk pages").argParser(parseIntOption("--pace-ms")).default(0))
    .option("--exit", "with --hardware: stop after the scenario instead of serving the kiosk pages and gateway on")
    .action(async (flags: SimulateFlags & HardwareSimulateFlags & { hardware?: boolean }) => {
      if (flags.hardware === true) {
        await runHardwareSimulate(flags);
        return;
      }
      const options = simulationOptionsFrom(flags);
      const summary = await runFleetSimulation(options, (progress) => {
        process.stderr.write(`\r${progress.line}`);
      });
      process.stderr.write("\n");
      process.stdout.write(flags.json === true ? `${JSON.stringify(summary)}\n` : `${formatSimulationSummary(summary)}\n`);
      if (summary.unacked.length > 0) process.exitCode = 2;
    });
}
