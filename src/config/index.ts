// The runner's configuration: parse once at start-up into a frozen object.
export { ConfigError, isConfigError } from "./errors.ts";
export { type CommandSummary, renderHelp } from "./help.ts";
export { flagLabel, type OptionKind, type OptionSpec, RUNNER_OPTIONS } from "./options.ts";
export {
  type Env,
  envOption,
  envText,
  type ParseDeps,
  parseRunnerCli,
  parseRunnerConfig,
  type RunnerCli,
  stableAgentId,
} from "./parse.ts";
export { type ProviderBinDeps, resolveProviderBin } from "./provider-bin.ts";
export { parseRelayUrlList, RELAY_URL_RULE, type RelayUrlList, relayUrlsOf } from "./relay-url-list.ts";
export {
  APPROVAL_MODES,
  type ApprovalMode,
  LOG_LEVELS,
  type LogLevel,
  MIN_QUIET_MS,
  PROVIDERS,
  type ProviderName,
  type RunnerConfig,
  RunnerConfigSchema,
} from "./schema.ts";
export { computeTags, type TagSources } from "./tags.ts";
