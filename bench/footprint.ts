// Bench 3: idle footprint (RSS, CPU) of one runner process vs a bare Bun process holding one WebSocket; then N runners on one relay.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mintToken, QUICK, type Row, row, say, startRelayChild } from "./support/common.ts";
import { type Child, cpuSeconds, epochNow, rssBytes, spawnCliRunner, spawnScript } from "./support/proc.ts";

const MB = 1024 * 1024;

/** Watch processes for `seconds`: mean RSS of each (sampled every second) and CPU % of one core over the window. */
async function watch(pids: number[], seconds: number) {
  const cpu0 = pids.map(cpuSeconds);
  const t0 = performance.now();
  const rss: number[][] = pids.map(() => []);
  for (let s = 0; s < seconds; s++) {
    await new Promise((r) => setTimeout(r, 1_000));
    pids.forEach((pid, i) => {
      rss[i]!.push(rssBytes(pid));
    });
  }
  const wall = (performance.now() - t0) / 1000;
  return pids.map((pid, i) => ({
    rss: rss[i]!.reduce((a, b) => a + b, 0) / rss[i]!.length,
    cpuPct: ((cpuSeconds(pid) - cpu0[i]!) / wall) * 100,
  }));
}

async function idleOne(url: string): Promise<Row[]> {
  const seconds = QUICK ? 6 : 60;
  const runner = spawnScript("runner-process.ts", {
    BENCH_RELAY_URL: url,
    BENCH_TOKEN: await mintToken(url, "idle-runner"),
    BENCH_AGENT_ID: "idle-runner",
  });
  const bare = spawnScript("bare-ws-process.ts", { BENCH_RELAY_URL: url, BENCH_AGENT_ID: "idle-bare" });
  // The null-provider runner above is the runner's own code; this is what a person starts (CLI, command provider).
  const home = mkdtempSync(join(tmpdir(), "bench-cli-runner-"));
  const cli = spawnCliRunner(url, await mintToken(url, "idle-cli"), "idle-cli", home);
  try {
    await Promise.all([runner.up, bare.up, cli.up]);
    // Let start-up garbage be collected before the idle window.
    await new Promise((r) => setTimeout(r, QUICK ? 1_000 : 5_000));
    const [r, b, c] = await watch([runner.proc.pid, bare.proc.pid, cli.proc.pid], seconds);
    say(
      `footprint idle ${seconds} s: runner RSS ${(r!.rss / MB).toFixed(1)} MB CPU ${r!.cpuPct.toFixed(3)}%; ` +
        `bare ws RSS ${(b!.rss / MB).toFixed(1)} MB CPU ${b!.cpuPct.toFixed(3)}%; ` +
        `CLI runner RSS ${(c!.rss / MB).toFixed(1)} MB CPU ${c!.cpuPct.toFixed(3)}%`,
    );
    return [
      row("idle runner RSS", r!.rss / MB, "MB", b!.rss / MB, {
        target: "≤ 1.5× floor",
        met: r!.rss <= 1.5 * b!.rss,
      }),
      row("idle runner CPU", r!.cpuPct, "% of a core", b!.cpuPct, {
        target: "≤ 0.1%",
        met: r!.cpuPct <= 0.1,
        note: `${seconds} s window`,
      }),
      row("idle CLI runner RSS", c!.rss / MB, "MB", b!.rss / MB, {
        target: "≤ 1.5× floor",
        met: c!.rss <= 1.5 * b!.rss,
        note: "bin/agent-relay-runner --provider command (tmux, sleep), remote relay",
      }),
    ];
  } finally {
    await Promise.all([runner.stop(), bare.stop(), cli.stop()]);
    rmSync(home, { recursive: true, force: true });
  }
}

/** Start `n` children at once; time from the first spawn to the last "up", total RSS, relay CPU. */
async function crowd(relayPid: number, n: number, make: (i: number) => Child) {
  const cpu0 = cpuSeconds(relayPid);
  const start = epochNow();
  const children: Child[] = [];
  try {
    for (let i = 0; i < n; i++) children.push(make(i));
    const ups = await Promise.all(children.map((c) => c.up));
    const allUpMs = Math.max(...ups) - start;
    const regCpu = cpuSeconds(relayPid) - cpu0;
    const idle = await watch([relayPid], QUICK ? 3 : 20);
    const totalRss = children.reduce((sum, c) => sum + rssBytes(c.proc.pid), 0);
    return { allUpMs, totalRss, regCpuPct: (regCpu / (allUpMs / 1000)) * 100, idleCpuPct: idle[0]!.cpuPct };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}

async function many(url: string, relayPid: number): Promise<Row[]> {
  const n = QUICK ? 10 : 100;
  const tokens = await Promise.all(Array.from({ length: n }, (_, i) => mintToken(url, `crowd-${i}`)));
  const runners = await crowd(relayPid, n, (i) =>
    spawnScript("runner-process.ts", {
      BENCH_RELAY_URL: url,
      BENCH_TOKEN: tokens[i]!,
      BENCH_AGENT_ID: `crowd-${i}`,
    }),
  );
  const bare = await crowd(relayPid, n, (i) =>
    spawnScript("bare-ws-process.ts", { BENCH_RELAY_URL: url, BENCH_AGENT_ID: `crowd-bare-${i}` }),
  );
  say(
    `${n} runners: all registered in ${runners.allUpMs.toFixed(0)} ms, total RSS ${(runners.totalRss / MB).toFixed(0)} MB, ` +
      `relay CPU ${runners.regCpuPct.toFixed(1)}% while registering, ${runners.idleCpuPct.toFixed(2)}% idle; ` +
      `${n} bare ws: ${bare.allUpMs.toFixed(0)} ms, ${(bare.totalRss / MB).toFixed(0)} MB, relay ${bare.regCpuPct.toFixed(1)}% / ${bare.idleCpuPct.toFixed(2)}%`,
  );
  const note = `${n} separate processes`;
  return [
    row(`${n} runners: time until all registered`, runners.allUpMs, "ms", bare.allUpMs, { note }),
    row(`${n} runners: total RSS`, runners.totalRss / MB, "MB", bare.totalRss / MB, { note }),
    row(`${n} runners: relay CPU while registering`, runners.regCpuPct, "% of a core", bare.regCpuPct, {
      note,
    }),
    row(`${n} runners: relay CPU idle`, runners.idleCpuPct, "% of a core", bare.idleCpuPct, { note }),
  ];
}

export async function footprintBench(): Promise<Row[]> {
  const relay = await startRelayChild();
  try {
    return [...(await idleOne(relay.url)), ...(await many(relay.url, relay.proc.proc.pid))];
  } finally {
    await relay.kill();
  }
}

if (import.meta.main) {
  for (const r of await footprintBench()) say(JSON.stringify(r));
}
