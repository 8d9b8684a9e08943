import { Command } from "commander";
import { provisionCommand } from "./device-provision-command.js";
import { deviceRunCommand } from "./device-run-command.js";

/**
 * `carewitness device ...`: commands run on the box itself (provisioning, the agent). The gateway's
 * registry of boxes is `carewitness devices ...`.
 */
export function deviceAgentCommands(): Command {
  return new Command("device").description("On the box: provision it with a gateway and run its agent.").addCommand(provisionCommand()).addCommand(deviceRunCommand());
}
