// The `command` provider: any interactive CLI in tmux, delivered to by sanitised paste + Enter.
export { CommandAdapter, type CommandAdapterState } from "./adapter.ts";
export { formatDelivery, formatMessage, formatSystemNote } from "./format.ts";
export {
  type CommandAdapterInput,
  type CommandAdapterOptions,
  parseCommandAdapterOptions,
} from "./options.ts";
export { ReadyDetector, screenForMatching, screenTail, TurnTracker } from "./status.ts";
