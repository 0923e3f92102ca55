// Bench 1: delivery latency, relay POST /v1/messages → adapter deliver() called, against a bare bus client as the floor.
import {
  mintToken,
  openBareBus,
  percentile,
  post,
  QUICK,
  type RelayChildOptions,
  type Row,
  row,
  say,
  startRelayChild,
  until,
} from "./support/common.ts";
import { startNullRunner } from "./support/null-runner.ts";

const RATE = 50;

/** `store`: where the relay keeps its state; `viaReplica`: messages are POSTed to a second relay on the same database. */
export async function latencyBench(store: RelayChildOptions = {}, viaReplica = false): Promise<Row[]> {
  const seconds = QUICK ? 3 : 20;
  const relay = await startRelayChild(store);
  const sender = viaReplica ? await startRelayChild(store) : relay;
  const runner = await startNullRunner({
    relayUrl: relay.url,
    token: await mintToken(relay.url, "lat-runner"),
    agentId: "lat-runner",
    tags: ["bench-lat"],
  });
  const sentAt = new Map<string, number>();
  const runnerMs: number[] = [];
  const floorMs: number[] = [];
  runner.adapter.onDelivery((d) => {
    const t0 = sentAt.get(d.body);
    if (t0 !== undefined) runnerMs.push(d.at - t0);
  });
  const floor = await openBareBus(relay.url, { agentId: "lat-floor", tags: ["bench-lat"] }, (m, at) => {
    const t0 = sentAt.get(m.body);
    if (t0 !== undefined) floorMs.push(at - t0);
  });
  try {
    // Warm up both paths (JIT, connection pool) before measuring.
    for (let i = 0; i < 20; i++) await post(sender.url, { to: "tag:bench-lat", body: `warm-${i}` });
    await until(() => runner.adapter.deliveries.length >= 20, 10_000, "warm-up deliveries");
    const total = RATE * seconds;
    const start = performance.now();
    const posts: Promise<number>[] = [];
    for (let i = 0; i < total; i++) {
      // Open-loop schedule: message i leaves at start + i/RATE whatever happened to earlier ones.
      const due = start + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const body = `lat-${i}`;
      sentAt.set(body, performance.now());
      posts.push(post(sender.url, { to: "tag:bench-lat", body }));
    }
    await Promise.all(posts);
    await until(() => runnerMs.length >= total && floorMs.length >= total, 15_000, "all latency deliveries");
    const r = { p50: percentile(runnerMs, 50), p99: percentile(runnerMs, 99), max: Math.max(...runnerMs) };
    const f = { p50: percentile(floorMs, 50), p99: percentile(floorMs, 99), max: Math.max(...floorMs) };
    say(
      `latency: ${total} msgs at ${RATE}/s; runner p50 ${r.p50.toFixed(2)} p99 ${r.p99.toFixed(2)} max ${r.max.toFixed(2)} ms; floor p50 ${f.p50.toFixed(2)} p99 ${f.p99.toFixed(2)} max ${f.max.toFixed(2)} ms`,
    );
    return [
      row("latency p50 (POST → deliver)", r.p50, "ms", f.p50),
      row("latency p99 (POST → deliver)", r.p99, "ms", f.p99, {
        target: "≤ 2× floor p99 and ≤ 5 ms",
        met: r.p99 <= 2 * f.p99 && r.p99 <= 5,
      }),
      row("latency max (POST → deliver)", r.max, "ms", f.max),
    ];
  } finally {
    floor.close();
    await runner.stop();
    await relay.kill();
    if (sender !== relay) await sender.kill();
  }
}

if (import.meta.main) {
  for (const r of await latencyBench()) say(JSON.stringify(r));
}
