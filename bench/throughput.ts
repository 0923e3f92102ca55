// Bench 2: messages per second one runner sustains into a null adapter without loss, against the relay's own POST ceiling.
import {
  mintToken,
  post,
  QUICK,
  ROOT_TOKEN,
  type Row,
  row,
  say,
  startRelayChild,
  until,
} from "./support/common.ts";
import { startNullRunner } from "./support/null-runner.ts";
import { cpuSeconds } from "./support/proc.ts";

const CONCURRENCY = 64;

/** POST `count` messages with a fixed number in flight; resolves with the wall time in ms. */
async function blast(url: string, count: number, message: (i: number) => Record<string, unknown>) {
  let next = 0;
  const start = performance.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await post(url, message(i));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { start, end: performance.now() };
}

/** The relay's own rate for a per-message call the runner makes (what bounds the runner when it is the limit). */
async function callRate(url: string, ids: number[], path: (id: number) => string, inFlight: number) {
  const headers = { authorization: `Bearer ${ROOT_TOKEN}`, "content-type": "application/json" };
  let next = 0;
  const start = performance.now();
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const res = await fetch(`${url}${path(id)}`, { method: "POST", headers, body: '{"agentId":"diag"}' });
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return (ids.length * 1000) / (performance.now() - start);
}

async function unreadCount(url: string, agentId: string): Promise<number> {
  const res = await fetch(`${url}/v1/agents/${agentId}/unread?limit=1000`, {
    headers: { authorization: `Bearer ${ROOT_TOKEN}` },
  });
  return ((await res.json()) as { messages: unknown[] }).messages.length;
}

export async function throughputBench(): Promise<Row[]> {
  const n = QUICK ? 2_000 : 20_000;
  const nClaim = QUICK ? 1_000 : 5_000;
  const relay = await startRelayChild();
  try {
    // Floor: the relay's own ceiling — the same POST loop with nobody listening.
    await blast(relay.url, 500, (i) => ({ to: "nobody", body: `warm-${i}` }));
    const ceil = await blast(relay.url, n, (i) => ({ to: "nobody", body: `ceil-${i}` }));
    const ceiling = (n * 1000) / (ceil.end - ceil.start);

    const measure = async (claimable: boolean, count: number) => {
      const agentId = claimable ? "tp-claim" : "tp-plain";
      const r = await startNullRunner({
        relayUrl: relay.url,
        token: await mintToken(relay.url, agentId),
        agentId,
      });
      try {
        const relayCpu0 = cpuSeconds(relay.proc.proc.pid);
        const selfCpu0 = process.cpuUsage();
        const sent = await blast(relay.url, count, (i) => ({ to: agentId, body: `tp-${i}`, claimable }));
        const last = await until(
          () => r.adapter.deliveries.length >= count && r.adapter.deliveries[count - 1]!.at,
          120_000,
          `${count} deliveries`,
        );
        const rate = (count * 1000) / (last - sent.start);
        const wall = (last - sent.start) / 1000;
        const selfCpu = process.cpuUsage(selfCpu0);
        const cpu = {
          relay: ((cpuSeconds(relay.proc.proc.pid) - relayCpu0) / wall) * 100,
          senderAndRunner: ((selfCpu.user + selfCpu.system) / 1e6 / wall) * 100,
        };
        const unique = new Set(r.adapter.deliveries.map((d) => d.id)).size;
        await r.runner.queue.idle();
        const unread = await until(
          async () => {
            const u = await unreadCount(relay.url, agentId);
            return u === 0 ? "0" : false;
          },
          30_000,
          "unread to drain",
        ).catch(() => "some");
        const postRate = (count * 1000) / (sent.end - sent.start);
        say(
          `throughput ${claimable ? "claimable" : "non-claimable"}: ${count} sent, ${unique} delivered unique ` +
            `(${r.adapter.deliveries.length - unique} duplicates), unread left ${unread}; ${rate.toFixed(0)}/s ` +
            `(posting ran at ${postRate.toFixed(0)}/s); CPU: relay ${cpu.relay.toFixed(0)}%, ` +
            `sender + runner process ${cpu.senderAndRunner.toFixed(0)}% of a core`,
        );
        if (unique !== count) throw new Error(`throughput: lost ${count - unique} of ${count}`);
        return rate;
      } finally {
        await r.stop();
      }
    };
    // What one per-message relay call costs: mark-read with 50 in flight (the runner settles a batch of 50 at
    // once) and claim one at a time (the runner claims a batch's messages in sequence).
    const diagN = QUICK ? 500 : 2_000;
    const ids: number[] = [];
    for (let i = 0; i < diagN; i++)
      ids.push(await post(relay.url, { to: "diag", body: `d-${i}`, claimable: true }));
    const markReadRate = await callRate(relay.url, ids, (id) => `/v1/messages/${id}/read`, 50);
    const claimRate = await callRate(relay.url, ids, (id) => `/v1/messages/${id}/claim`, 1);
    say(
      `relay alone: mark-read ${markReadRate.toFixed(0)}/s (50 in flight), claim ${claimRate.toFixed(0)}/s (sequential)`,
    );

    const plain = await measure(false, n);
    const claim = await measure(true, nClaim);
    say(`throughput: relay ceiling ${ceiling.toFixed(0)}/s`);
    return [
      row("throughput non-claimable", plain, "msg/s", ceiling, { target: "≥ 5,000/s", met: plain >= 5_000 }),
      row("throughput claimable", claim, "msg/s", ceiling, { target: "≥ 1,000/s", met: claim >= 1_000 }),
      row("relay mark-read rate alone (50 in flight)", markReadRate, "req/s", ceiling, {
        note: "one mark-read per delivered message bounds non-claimable throughput",
      }),
      row("relay claim rate alone (sequential)", claimRate, "req/s", ceiling, {
        note: "claims are taken one after another within a batch",
      }),
    ];
  } finally {
    await relay.kill();
  }
}

if (import.meta.main) {
  for (const r of await throughputBench()) say(JSON.stringify(r));
}
