// `bun bench/replica-latency.ts`: two relays on one throwaway PostgreSQL; POST on A → message.new on a session on B,
// 20 times one after another (median, max), next to the same path within one relay (POST on B → session on B).

import { startPostgres } from "../test/support/postgres.ts";
import { startTestRelay, type TestRelay } from "../test/support/relay.ts";
import { percentile } from "./support/common.ts";

const SAMPLES = 20;

async function measure(via: TestRelay, on: TestRelay, agentId: string): Promise<number[]> {
  const bus = await on.openBus({ agentId, token: await via.mintToken(agentId) });
  const ms: number[] = [];
  let arrived: ((at: number) => void) | undefined;
  // Timed on the socket's event, not by polling the frames (which would add up to its interval).
  bus.ws.addEventListener("message", (e) => {
    if (JSON.parse(String(e.data)).type === "message.new") arrived?.(performance.now());
  });
  for (let i = 0; i < SAMPLES + 5; i++) {
    const at = new Promise<number>((resolve) => {
      arrived = resolve;
    });
    const t0 = performance.now();
    await via.call(via.rootToken, "POST", "/v1/messages", { from: "bench", to: agentId, body: `m${i}` });
    const t1 = await at;
    // The first few warm the pools and the JIT.
    if (i >= 5) ms.push(t1 - t0);
  }
  return ms;
}

const pg = await startPostgres();
try {
  const databaseUrl = await pg.createDatabase("replica_latency");
  const a = await startTestRelay({ databaseUrl });
  const b = await startTestRelay({ databaseUrl });
  try {
    const cross = await measure(a, b, "lat-cross");
    const local = await measure(b, b, "lat-local");
    const fmt = (s: number[]) =>
      `median ${percentile(s, 50).toFixed(1)} ms, p90 ${percentile(s, 90).toFixed(1)} ms, max ${Math.max(...s).toFixed(1)} ms`;
    console.log(`POST on A → frame on B (${SAMPLES}): ${fmt(cross)}`);
    console.log(`POST on B → frame on B (${SAMPLES}): ${fmt(local)}`);
  } finally {
    await a.close();
    await b.close();
  }
} finally {
  await pg.stop();
}
