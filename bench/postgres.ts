// Bench 11: the relay on PostgreSQL next to SQLite. Delivery latency (bench 1) and throughput (bench 2) run twice in
// the same run — the relay on its SQLite file, then on a throwaway PostgreSQL cluster (test/support/postgres.ts) —
// and each PostgreSQL figure is given as a ratio to the SQLite one; then again with two relays on the PostgreSQL
// database, the messages POSTed to one and the runner on the other (every message crosses replicas).
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
  let twoReplicas: Row[];
  try {
    const one = { databaseUrl: await pg.createDatabase("bench") };
    onPg = [...(await latencyBench(one)), ...(await throughputBench(one))];
    const two = { databaseUrl: await pg.createDatabase("bench_replicas") };
    twoReplicas = [...(await latencyBench(two, true)), ...(await throughputBench(two, true))];
  } finally {
    await pg.stop();
  }
  const rows: Row[] = [];
  const compare = (label: string, measured: Row[], note: string) => {
    for (const name of COMPARED) {
      const a = sqlite.find((r) => r.name === name);
      const b = measured.find((r) => r.name === name);
      if (a && b) rows.push(row(`${label}: ${name}`, b.value, b.unit, a.value, { note }));
    }
  };
  const floorNote = "floor: the same figure with one relay on SQLite, earlier in the same run";
  compare("PostgreSQL, one relay", onPg, floorNote);
  compare(
    "PostgreSQL, two replicas",
    twoReplicas,
    `${floorNote}; POSTs to one relay, the runner on the other`,
  );
  for (const r of rows) say(`postgres: ${r.name} ${r.value} ${r.unit} (SQLite ${r.baseline}, ${r.ratio}×)`);
  return rows;
}

if (import.meta.main) {
  for (const r of await postgresBench()) say(JSON.stringify(r));
  process.exit(0);
}
