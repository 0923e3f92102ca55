// The footprint/start-up floor: a bare Bun process holding one bus WebSocket open (hello, welcome, nothing else).
// env: BENCH_RELAY_URL, BENCH_AGENT_ID. Prints "up <epoch ms>" once welcomed; SIGTERM ends it.
import { openBareBus } from "./common.ts";

const loadedMs = performance.now();
const bus = await openBareBus(process.env.BENCH_RELAY_URL!, { agentId: process.env.BENCH_AGENT_ID! });
const now = performance.now();
process.stdout.write(`up ${performance.timeOrigin + now} ${loadedMs} ${now - loadedMs}\n`);
process.on("SIGTERM", () => {
  bus.close();
  process.exit(0);
});
