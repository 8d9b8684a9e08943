import { Command, Option } from "commander";
import { provisionDevice } from "../../device/provisioning/provision-device.js";

/**
 * `carewitness device provision --gateway URL --token T [--dir DIR]`: run on the box once, with the
 * one-time token an administrator minted (`carewitness tokens provision`).
 */
export function provisionCommand(): Command {
  return new Command("provision")
    .description("Make this box's key pair, register it with the gateway under a one-time token, and write its secrets and configuration.")
    .requiredOption("--gateway <url>", "the gateway's REST URL, e.g. https://gateway.example:8080")
    .addOption(new Option("--token <token>", "one-time provisioning token").env("CAREWITNESS_PROVISIONING_TOKEN").makeOptionMandatory())
    .addOption(new Option("--dir <dir>", "where the key, secrets and box.json go").env("CAREWITNESS_BOX_DIR").default("/var/lib/carewitness"))
    .option("--json", "print the result as JSON")
    .action(async (flags: { gateway: string; token: string; dir: string; json?: boolean }) => {
      const result = await provisionDevice({ gatewayUrl: flags.gateway, token: flags.token, dir: flags.dir, agentVersion: process.env.npm_package_version ?? null });
      const { box } = result.config;
      if (flags.json === true) {
        process.stdout.write(`${JSON.stringify({ box: box.id, site: box.site, role: box.role, location: box.location, keyId: result.keyId, keyCreated: result.keyCreated, config: result.configPath })}\n`);
        return;
      }
      process.stdout.write(
        [
          `provisioned box ${box.id} of ${box.site} (${box.role}${box.location === null ? "" : `, ${box.location}`})`,
          `key ${result.keyId} (${result.keyCreated ? "new" : "kept from an earlier attempt"})`,
          `broker ${result.config.gateway.mqttUrl}`,
          `configuration ${result.configPath}`,
          "",
        ].join("\n"),
      );
    });
}
