// Bench 11: the relay on PostgreSQL next to SQLite. Delivery latency (bench 1) and throughput (bench 2) run twice in
// the same run — the relay on its SQLite file, then on a throwaway PostgreSQL cluster (test/support/postgres.ts) —
// and each PostgreSQL figure is given as a ratio to the SQLite one. One relay; several replicas come with issue 14.
import { startPostgres } from "../test/support/postgres.ts";
import { latencyBench } from "./latency.ts";
import { type Row, row, say } from "./support/common.ts";
import { throughputBench } from "./throughput.ts";

const COMPARED = [
  "latency p50 (POST → deliver)",
  "latency p99 (POST → deliver)",
  "throughput non-claimable",
  "throughput claimable",
  "relay CPU per non-claimable message",
  "relay CPU per claimable message",
];

export async function postgresBench(): Promise<Row[]> {
  const sqlite = [...(await latencyBench()), ...(await throughputBench())];
  const pg = await startPostgres();
  let onPg: Row[];
  try {
    const databaseUrl = await pg.createDatabase("bench");
    onPg = [...(await latencyBench({ databaseUrl })), ...(await throughputBench({ databaseUrl }))];
  } finally {
    await pg.stop();
  }
  const rows: Row[] = [];
  for (const name of COMPARED) {
    const a = sqlite.find((r) => r.name === name);
    const b = onPg.find((r) => r.name === name);
    if (!a || !b) continue;
    rows.push(
      row(`PostgreSQL: ${name}`, b.value, b.unit, a.value, {
        note: "floor: the same figure with the relay on SQLite, earlier in the same run; one relay",
      }),
    );
  }
  for (const r of rows) say(`postgres: ${r.name} ${r.value} ${r.unit} (SQLite ${r.baseline}, ${r.ratio}×)`);
  return rows;
}

if (import.meta.main) {
  for (const r of await postgresBench()) say(JSON.stringify(r));
  process.exit(0);
}
