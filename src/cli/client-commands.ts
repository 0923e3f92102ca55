// `send`, `inbox`, `msg`, `task`, `command`, `agents`, `permissions`, `approve|deny`, `stop|compact|clear`: the CLI people and agents use to talk to the relay.
import type { Command } from "commander";
import { registerIdentityCommands } from "./identity-commands.ts";
import { registerMessageCommands } from "./message-commands.ts";
import { registerSystemCommands } from "./system-commands.ts";
import { registerTaskCommands } from "./task-commands.ts";

export function registerClientCommands(program: Command): void {
  registerMessageCommands(program);
  registerTaskCommands(program);
  registerSystemCommands(program);
  registerIdentityCommands(program);
}
