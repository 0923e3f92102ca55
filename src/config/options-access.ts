// Options about reaching the relay and guarding secrets: the token (env or file, never argv), the start
// deadline, the provider's isolation, and the durability of an embedded relay. Part of the one option table (RUNNER_OPTIONS in options.ts).
import type { OptionSpec } from "./options.ts";
import { ISOLATE_MODES } from "./schema.ts";

export const ACCESS_OPTIONS: readonly OptionSpec[] = [
  {
    key: "token",
    flag: "--token",
    env: "AGENT_RELAY_TOKEN",
    kind: "string",
    placeholder: "<token>",
    description:
      "relay token (root or runtime), env or --token-file only: refused on the command line (ps shows argv)",
    secret: { fileKey: "tokenFile" },
  },
  {
    key: "tokenFile",
    flag: "--token-file",
    env: "AGENT_RELAY_TOKEN_FILE",
    kind: "string",
    placeholder: "<path>",
    description: "read the relay token from this file (keep it 0600); the safe way to pass it as an option",
  },
  {
    key: "startTimeoutMs",
    flag: "--start-timeout-ms",
    env: "AGENT_RELAY_START_TIMEOUT_MS",
    kind: "int",
    placeholder: "<ms>",
    description:
      "how long start-up retries an unreachable relay before exiting 1 (a refused token exits at once)",
    defaultText: "60000",
  },
  {
    key: "isolate",
    flag: "--isolate",
    env: "AGENT_RELAY_ISOLATE",
    kind: "string",
    placeholder: `<${ISOLATE_MODES.join("|")}>`,
    description:
      "run the provider under bubblewrap: relay secrets, other agents, sockets, the runner's /proc hidden (docs/security.md)",
    defaultValue: "off",
  },
  {
    key: "durable",
    flag: "--durable",
    env: "AGENT_RELAY_DURABLE",
    kind: "boolean",
    description:
      "the embedded relay, when this runner starts it, survives power loss: fsync every commit (slower)",
    defaultValue: false,
  },
];
