// Options about what an agent may spend: a budget, and the price of tokens for providers that report no cost.
// Part of the one option table (RUNNER_OPTIONS in options.ts); see docs/operations.md "Tokens, cost and budget".
import type { OptionSpec } from "./options.ts";

export const USAGE_OPTIONS: readonly OptionSpec[] = [
  {
    key: "maxCostUsd",
    flag: "--max-cost-usd",
    env: "AGENT_RELAY_MAX_COST_USD",
    kind: "string",
    placeholder: "<usd>",
    description: "once the agent's cost reaches this, it takes no new work and reports needs-input (budget)",
  },
  {
    key: "tokenPrice",
    flag: "--token-price",
    env: "AGENT_RELAY_TOKEN_PRICE",
    kind: "string",
    placeholder: "<in>,<out>",
    description: "USD per million input and output tokens, to price providers that report no cost (Codex)",
  },
];
