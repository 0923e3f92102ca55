// Bench: what `--durable` (synchronous=FULL: every commit fsynced) costs the relay, against the default
// (synchronous=NORMAL in WAL mode: survives a relay crash, not an OS crash or power loss) in the same run.
import { blast, median, post, QUICK, type Row, row, say, startRelayChild } from "./support/common.ts";

async function measure(durable: boolean, count: number, sequential: number) {
  const relay = await startRelayChild({ durable });
  try {
    await blast(relay.url, 200, (i) => ({ to: "nobody", body: `warm-${i}` }));
    const run = await blast(relay.url, count, (i) => ({ to: "nobody", body: `d-${i}` }));
    const rate = (count * 1000) / (run.end - run.start);
    // One request at a time: each one waits for its own commit (and fsync, when durable).
    const latencies: number[] = [];
    for (let i = 0; i < sequential; i++) {
      const t = performance.now();
      await post(relay.url, { to: "nobody", body: `s-${i}` });
      latencies.push(performance.now() - t);
    }
    return { rate, p50: median(latencies) };
  } finally {
    await relay.kill();
  }
}

export async function durabilityBench(): Promise<Row[]> {
  const count = QUICK ? 1_000 : 10_000;
  const sequential = QUICK ? 50 : 300;
  const normal = await measure(false, count, sequential);
  const durable = await measure(true, count, sequential);
  say(
    `durability: POST ${normal.rate.toFixed(0)}/s normal vs ${durable.rate.toFixed(0)}/s durable (64 in flight); ` +
      `one at a time p50 ${normal.p50.toFixed(2)} ms vs ${durable.p50.toFixed(2)} ms`,
  );
  const note = "floor: the same relay with the default synchronous=NORMAL, measured in this run";
  return [
    row("relay POST rate, --durable (64 in flight)", durable.rate, "msg/s", normal.rate, { note }),
    row("relay POST latency p50, --durable (1 in flight)", durable.p50, "ms", normal.p50, { note }),
  ];
}

if (import.meta.main) {
  for (const r of await durabilityBench()) say(JSON.stringify(r));
}
