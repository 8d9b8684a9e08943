import { Command, Option } from "commander";
import { z } from "zod";
import { randomBytes } from "node:crypto";
import { BoxId, SiteId } from "../../protocol/index.js";
import { openGatewayStore } from "../../gateway/open-store.js";
import { newApiToken } from "../../gateway/http/api-auth.js";
import { mintProvisioningToken } from "../../gateway/provisioning/provisioning-tokens.js";
import { API_ROLES, DEVICE_ROLES, type ApiRole, type DeviceRole } from "../../gateway/store/gateway-store.js";
import { addStoreOptions, parseIntOption, storeConfigFrom } from "../store-options.js";
import { auditCliChange } from "../cli-audit.js";

export function tokenCommands(): Command {
  const tokens = new Command("tokens").description("REST API bearer tokens (admin, supervisor, hospital).");
  const create = new Command("create")
    .description("Create a token and print it once; only its hash is stored.")
    .requiredOption("--name <name>", "who or what the token is for")
    .addOption(new Option("--role <role>", "admin | supervisor | hospital").choices(API_ROLES as string[]).makeOptionMandatory())
    .option("--site <site>", "institution a hospital token is confined to (required for role hospital)")
    .option("--json", "print JSON");
  addStoreOptions(create);
  create.action(async (flags: { name: string; role: ApiRole; site?: string; json?: boolean; sqlite: string; pg?: string; pgSchema?: string }) => {
    if (flags.role === "hospital" && flags.site === undefined) throw new Error("--site is required for a hospital token");
    if (flags.role !== "hospital" && flags.site !== undefined) throw new Error("--site applies to hospital tokens only");
    const site = flags.site === undefined ? null : SiteId.parse(flags.site);
    const name = z.string().min(1).max(100).parse(flags.name);
    const store = await openGatewayStore(storeConfigFrom(flags));
    try {
      const { token, tokenHash } = newApiToken();
      await store.createApiToken({ name, role: flags.role, site, tokenHash, createdAt: Date.now() });
      await auditCliChange(store, "token.created", name, site, { role: flags.role });
      process.stdout.write(flags.json === true ? `${JSON.stringify({ name, role: flags.role, site, token })}\n` : `${token}\n`);
    } finally {
      await store.close();
    }
  });
  return tokens.addCommand(create).addCommand(provisionTokenCommand());
}

/** `carewitness tokens provision`: a one-time token that provisions one box (`carewitness device provision`). */
function provisionTokenCommand(): Command {
  const provision = new Command("provision")
    .description("Mint a one-time provisioning token for one box and print it once; only its hash is stored.")
    .requiredOption("--site <site>", "institution the box belongs to")
    .addOption(new Option("--role <role>", "dialysis_station | ward_round").choices(DEVICE_ROLES as string[]).makeOptionMandatory())
    .option("--station <station>", "station id (dialysis_station)")
    .option("--ward <ward>", "ward (ward_round)")
    .option("--box <box>", "the box id to give it (default: generated from the site and the station or ward)")
    .addOption(new Option("--mqtt-url <url>", "the broker URL as the box reaches it").env("CAREWITNESS_BOX_MQTT_URL").makeOptionMandatory())
    .option("--expires-in <hours>", "hours the token may be redeemed", parseIntOption("--expires-in"), 24)
    .option("--replace-key", "the box id exists: give it the new box's key (a replaced box)")
    .option("--by <name>", "who mints it (kept with the token)", process.env.USER ?? "admin")
    .option("--json", "print JSON");
  addStoreOptions(provision);
  provision.action(
    async (flags: {
      site: string;
      role: DeviceRole;
      station?: string;
      ward?: string;
      box?: string;
      mqttUrl: string;
      expiresIn: number;
      replaceKey?: boolean;
      by: string;
      json?: boolean;
      sqlite: string;
      pg?: string;
      pgSchema?: string;
    }) => {
      const site = SiteId.parse(flags.site);
      if (flags.role === "dialysis_station" && flags.ward !== undefined) throw new Error("--ward applies to ward_round boxes; use --station");
      if (flags.role === "ward_round" && flags.station !== undefined) throw new Error("--station applies to dialysis_station boxes; use --ward");
      if (flags.expiresIn < 1 || flags.expiresIn > 24 * 30) throw new Error("--expires-in must be 1 to 720 hours");
      const location = flags.station ?? flags.ward ?? null;
      const box = BoxId.parse(flags.box ?? `${site}-${(location ?? flags.role).replace(/[^A-Za-z0-9_.-]/g, "-")}-${randomBytes(3).toString("hex")}`.slice(0, 64));
      const store = await openGatewayStore(storeConfigFrom(flags));
      try {
        const { token, record } = await mintProvisioningToken(store, {
          box,
          site,
          role: flags.role,
          location,
          mqttUrl: flags.mqttUrl,
          replaceKey: flags.replaceKey === true,
          createdBy: z.string().min(1).max(100).parse(flags.by),
          lifetimeMs: flags.expiresIn * 3_600_000,
        });
        const expiresAt = new Date(record.expiresAt).toISOString();
        await auditCliChange(store, "provisioning_token.minted", box, site, { role: flags.role, location, expiresAt, replaceKey: flags.replaceKey === true });
        process.stdout.write(
          flags.json === true
            ? `${JSON.stringify({ box, site, role: flags.role, location, token, expiresAt })}\n`
            : `${token}\nbox ${box} of ${site}; single use, expires ${expiresAt}. On the box: carewitness device provision --gateway URL --token ${token}\n`,
        );
      } finally {
        await store.close();
      }
    },
  );
  return provision;
}

