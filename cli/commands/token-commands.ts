import { Command, Option } from "commander";
import { z } from "zod";
import { SiteId } from "../../protocol/index.js";
import { openGatewayStore } from "../../gateway/open-store.js";
import { newApiToken } from "../../gateway/http/api-auth.js";
import { API_ROLES, type ApiRole } from "../../gateway/store/gateway-store.js";
import { addStoreOptions, storeConfigFrom } from "../store-options.js";

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
      process.stdout.write(flags.json === true ? `${JSON.stringify({ name, role: flags.role, site, token })}\n` : `${token}\n`);
    } finally {
      await store.close();
    }
  });
  return tokens.addCommand(create);
}
