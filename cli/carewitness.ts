#!/usr/bin/env node
import { Command } from "commander";
import { auditCommands } from "./commands/audit-commands.js";
import { billingCommands } from "./commands/billing-commands.js";
import { caseCommands } from "./commands/case-commands.js";
import { demoCommand } from "./commands/demo-command.js";
import { deviceAgentCommands } from "./commands/device-agent-commands.js";
import { deviceCommands } from "./commands/device-commands.js";
import { faceCommands } from "./commands/face-commands.js";
import { gatewayCommand } from "./commands/gateway-command.js";
import { modelCommands } from "./commands/model-commands.js";
import { readerCommand } from "./commands/reader-commands.js";
import { reconcileCommand } from "./commands/reconcile-command.js";
import { simulateCommand } from "./commands/simulate-command.js";
import { tokenCommands } from "./commands/token-commands.js";

/** `carewitness`: one CLI for the gateway, the fleet simulator and the technicians' tools. */
const program = new Command()
  .name("carewitness")
  .description("Identity-verified bedside and dialysis checks: gateway, fleet simulator and tools.")
  .showHelpAfterError()
  .addCommand(gatewayCommand())
  .addCommand(simulateCommand())
  .addCommand(deviceCommands())
  .addCommand(deviceAgentCommands())
  .addCommand(tokenCommands())
  .addCommand(readerCommand())
  .addCommand(faceCommands())
  .addCommand(modelCommands())
  .addCommand(reconcileCommand())
  .addCommand(billingCommands())
  .addCommand(auditCommands())
  .addCommand(caseCommands())
  .addCommand(demoCommand());

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`carewitness: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
