// A runner as its own process with the null provider (footprint and start-up benches).
// env: BENCH_RELAY_URL, BENCH_TOKEN, BENCH_AGENT_ID. Prints "up <epoch ms> <boot+load ms> <start() ms>" once registered
// and spawned; SIGTERM stops it.
import { startNullRunner } from "./null-runner.ts";

// Static imports are evaluated before this line: this is the runtime's boot plus loading every module.
const loadedMs = performance.now();
const env = process.env;
const r = await startNullRunner({
  relayUrl: env.BENCH_RELAY_URL!,
  token: env.BENCH_TOKEN!,
  agentId: env.BENCH_AGENT_ID!,
  connectTimeoutMs: 60_000,
});
const now = performance.now();
process.stdout.write(`up ${performance.timeOrigin + now} ${loadedMs} ${now - loadedMs}\n`);
process.on("SIGTERM", () => {
  void r.stop().then(() => process.exit(0));
});
