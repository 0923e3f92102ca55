// `send`, `inbox`, `msg`, `task`, `command`: the CLI people and agents use to talk to the relay.
import type { Command } from "commander";

export function registerClientCommands(_program: Command): void {}
