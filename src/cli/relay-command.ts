// `agent-relay-runner relay`: run the embedded relay as its own process.
import type { Command } from "commander";

export function registerRelayCommand(_program: Command): void {}
