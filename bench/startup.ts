// Bench 4: process start → registered on the bus and provider spawned (null provider), median of 10, vs a bare Bun ws process.
import { median, mintToken, QUICK, type Row, row, say, startRelayChild } from "./support/common.ts";
import { spawnScript } from "./support/proc.ts";

export async function startupBench(): Promise<Row[]> {
  const n = QUICK ? 3 : 10;
  const relay = await startRelayChild();
  const runnerMs: number[] = [];
  const bareMs: number[] = [];
  const runnerLoad: number[] = [];
  const runnerStart: number[] = [];
  const bareLoad: number[] = [];
  const bareStart: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const token = await mintToken(relay.url, `start-${i}`);
      const r = spawnScript("runner-process.ts", {
        BENCH_RELAY_URL: relay.url,
        BENCH_TOKEN: token,
        BENCH_AGENT_ID: `start-${i}`,
      });
      try {
        runnerMs.push((await r.up) - r.spawnedAt);
        const [load, start] = await r.upDetail;
        runnerLoad.push(load!);
        runnerStart.push(start!);
      } finally {
        await r.stop();
      }
      const b = spawnScript("bare-ws-process.ts", {
        BENCH_RELAY_URL: relay.url,
        BENCH_AGENT_ID: `start-bare-${i}`,
      });
      try {
        bareMs.push((await b.up) - b.spawnedAt);
        const [bLoad, bStart] = await b.upDetail;
        bareLoad.push(bLoad!);
        bareStart.push(bStart!);
      } finally {
        await b.stop();
      }
    }
    const r = median(runnerMs);
    const b = median(bareMs);
    say(
      `start-up (median of ${n}): runner ${r.toFixed(0)} ms [${runnerMs.map((x) => x.toFixed(0)).join(", ")}]; ` +
        `bare ws ${b.toFixed(0)} ms; of the runner's: boot + module loading ${median(runnerLoad).toFixed(0)} ms ` +
        `(bare ${median(bareLoad).toFixed(0)} ms), AgentRunner.start() ${median(runnerStart).toFixed(0)} ms`,
    );
    return [
      row("start-up to registered + spawned (median)", r, "ms", b, { target: "≤ 150 ms", met: r <= 150 }),
      row("start-up: boot + module loading (median)", median(runnerLoad), "ms", median(bareLoad)),
      row("start-up: AgentRunner.start() (median)", median(runnerStart), "ms", median(bareStart), {
        note: "control server, bus welcome, spawn, status, unread read; floor: bare connect + welcome",
      }),
    ];
  } finally {
    await relay.kill();
  }
}

if (import.meta.main) {
  for (const r of await startupBench()) say(JSON.stringify(r));
}
