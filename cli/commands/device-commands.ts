import { Command, Option } from "commander";
import { BoxId, keyIdOf, publicKeyFromRaw, SiteId } from "../../protocol/index.js";
import { openGatewayStore } from "../../gateway/open-store.js";
import { DEVICE_ROLES, type Device, type DeviceRole, type GatewayStore } from "../../gateway/store/gateway-store.js";
import { addStoreOptions, storeConfigFrom } from "../store-options.js";
import { auditCliChange } from "../cli-audit.js";

interface StoreFlags {
  sqlite: string;
  pg?: string;
  pgSchema?: string;
}

async function withStore<T>(flags: StoreFlags, work: (store: GatewayStore) => Promise<T>): Promise<T> {
  const store = await openGatewayStore(storeConfigFrom(flags));
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

function deviceLine(d: Device): string {
  const state = d.state ?? "never seen";
  return `${d.box.padEnd(24)} ${d.site.padEnd(16)} ${d.role.padEnd(17)} ${(d.location ?? "-").padEnd(12)} ${d.enabled ? "enabled " : "DISABLED"} ${state.padEnd(10)} key ${d.keyId}`;
}

export function deviceCommands(): Command {
  const devices = new Command("devices").description(
    "The device registry: register boxes with their public keys, list them, enable or disable them. A running gateway sees changes within 30 s (at once through the REST API).",
  );

  const register = new Command("register")
    .description("Register a box (or confirm its registration).")
    .requiredOption("--box <id>", "box id")
    .requiredOption("--site <id>", "institution id")
    .addOption(new Option("--role <role>", "dialysis_station | ward_round").choices(DEVICE_ROLES as string[]).makeOptionMandatory())
    .option("--location <text>", "station id or ward")
    .requiredOption("--public-key <base64url>", "the box's raw 32-byte Ed25519 public key, base64url")
    .option("--replace-key", "replace the key of an already registered box")
    .option("--json", "print JSON");
  addStoreOptions(register).action(
    async (flags: StoreFlags & { box: string; site: string; role: DeviceRole; location?: string; publicKey: string; replaceKey?: boolean; json?: boolean }) => {
      const box = BoxId.parse(flags.box);
      const site = SiteId.parse(flags.site);
      const keyId = keyIdOf(publicKeyFromRaw(flags.publicKey));
      const outcome = await withStore(flags, async (store) => {
        const registered = await store.registerDevice({ box, site, role: flags.role, location: flags.location ?? null, publicKey: flags.publicKey, keyId }, { replaceKey: flags.replaceKey === true });
        if (registered.result !== "conflict") await auditCliChange(store, `device.${registered.result}`, box, site, { role: flags.role, location: flags.location ?? null, keyId });
        return registered;
      });
      if (outcome.result === "conflict") throw new Error(`box ${box} is registered with another key (${outcome.detail}); pass --replace-key to replace it`);
      process.stdout.write(flags.json === true ? `${JSON.stringify({ result: outcome.result, box, keyId })}\n` : `${outcome.result}: ${deviceLine(outcome.device)}\n`);
    },
  );

  const list = new Command("list").description("List registered boxes.").option("--site <id>", "only this institution").option("--json", "print JSON lines");
  addStoreOptions(list).action(async (flags: StoreFlags & { site?: string; json?: boolean }) => {
    const items = await withStore(flags, (store) => store.listDevices({ site: flags.site }));
    if (flags.json === true) {
      for (const d of items) process.stdout.write(`${JSON.stringify(d)}\n`);
      return;
    }
    process.stdout.write(`${"BOX".padEnd(24)} ${"SITE".padEnd(16)} ${"ROLE".padEnd(17)} ${"LOCATION".padEnd(12)} STATUS   STATE\n`);
    for (const d of items) process.stdout.write(`${deviceLine(d)}\n`);
    process.stdout.write(`${items.length} box(es)\n`);
  });

  const toggle = (enabled: boolean): Command => {
    const command = new Command(enabled ? "enable" : "disable")
      .description(enabled ? "Enable a box." : "Disable a box: its events are quarantined as box_disabled.")
      .argument("<box>", "box id");
    return addStoreOptions(command).action(async (box: string, flags: StoreFlags) => {
      const device = await withStore(flags, async (store) => {
        const changed = await store.setDeviceEnabled(box, enabled);
        if (changed !== undefined) await auditCliChange(store, enabled ? "device.enabled" : "device.disabled", box, changed.site, {});
        return changed;
      });
      if (device === undefined) throw new Error(`no box ${box}`);
      process.stdout.write(`${deviceLine(device)}\n`);
    });
  };

  return devices.addCommand(register).addCommand(list).addCommand(toggle(true)).addCommand(toggle(false));
}
