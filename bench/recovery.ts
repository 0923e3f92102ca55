// Bench 5: relay SIGKILLed and restarted (same port, same db) → runner re-registered and its backlog delivered.
import {
  median,
  mintToken,
  openBareBus,
  post,
  QUICK,
  type Row,
  row,
  say,
  startRelayChild,
  until,
} from "./support/common.ts";
import { startNullRunner } from "./support/null-runner.ts";
import { epochNow } from "./support/proc.ts";

const BACKLOG = 100;

export async function recoveryBench(): Promise<Row[]> {
  const rounds = QUICK ? 2 : 5;
  let relay = await startRelayChild();
  const { port, dbPath } = relay;
  const runner = await startNullRunner({
    relayUrl: relay.url,
    token: await mintToken(relay.url, "rec-runner"),
    agentId: "rec-runner",
  });
  const reregMs: number[] = [];
  const backlogMs: number[] = [];
  const floorMs: number[] = [];
  const connectedAt: number[] = [];
  runner.runner.bus.on("connected", () => connectedAt.push(epochNow()));
  try {
    for (let round = 0; round < rounds; round++) {
      await relay.kill();
      await until(
        () => runner.runner.bus.transportState !== "open",
        5_000,
        "the runner to see the relay gone",
      );
      relay = await startRelayChild({ port, dbPath });
      const back = epochNow();
      // The backlog: messages senders post the moment the relay is back, before the runner has reconnected.
      const before = runner.adapter.deliveries.length;
      const floor = openBareBus(relay.url, { agentId: `rec-floor-${round}` }).then((b) => {
        floorMs.push(epochNow() - back);
        b.close();
      });
      await Promise.all(
        Array.from({ length: BACKLOG }, (_, i) =>
          post(relay.url, { to: "rec-runner", body: `r${round}-${i}` }),
        ),
      );
      const reg = await until(() => connectedAt.find((t) => t > back), 30_000, "the runner to re-register");
      await until(() => runner.adapter.deliveries.length >= before + BACKLOG, 30_000, "the backlog");
      const done = epochNow();
      await floor;
      reregMs.push(reg - back);
      backlogMs.push(done - back);
    }
    const lost = rounds * BACKLOG - new Set(runner.adapter.deliveries.map((d) => d.id)).size;
    const dup = runner.adapter.deliveries.length - new Set(runner.adapter.deliveries.map((d) => d.id)).size;
    const rr = median(reregMs);
    const bl = median(backlogMs);
    const fl = median(floorMs);
    say(
      `recovery (median of ${rounds}): re-registered ${rr.toFixed(0)} ms, ${BACKLOG}-message backlog delivered ` +
        `${bl.toFixed(0)} ms after the relay was back [${backlogMs.map((x) => x.toFixed(0)).join(", ")}]; ` +
        `fresh bare ws welcomed in ${fl.toFixed(0)} ms; lost ${lost}, duplicated ${dup}`,
    );
    return [
      row("recovery: re-registered after relay back (median)", rr, "ms", fl),
      row(`recovery: ${BACKLOG}-msg backlog delivered after relay back (median)`, bl, "ms", fl, {
        target: "≤ 1,000 ms",
        met: bl <= 1_000,
      }),
    ];
  } finally {
    await runner.stop();
    await relay.kill();
  }
}

if (import.meta.main) {
  for (const r of await recoveryBench()) say(JSON.stringify(r));
}
