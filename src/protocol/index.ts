// Relay protocol v1: every schema and type shared by the relay, its client and the runner.
export * from "./bus.ts";
export * from "./entities.ts";
export * from "./errors.ts";
export * from "./http.ts";
export * from "./leases.ts";
export * from "./matching.ts";
export * from "./tasks.ts";

export const PROTOCOL_VERSION = "1";
export * from "./outcome-text.ts";
