// PostgreSQL schema migrations: applied once on start (relays starting together too), one transaction each, and a
// schema newer than the code refused with a clear error.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { SQL } from "bun";
import { migrate, SchemaTooNewError } from "../../../../src/relay/store/postgres/migrate.ts";
import { MIGRATIONS } from "../../../../src/relay/store/postgres/schema.ts";
import { startPostgres, type TestPostgres } from "../../../support/postgres.ts";

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(() => pg.stop());

async function withDatabase(name: string, body: (url: string) => Promise<void>): Promise<void> {
  const url = await pg.createDatabase(name);
  try {
    await body(url);
  } finally {
    await pg.dropDatabase(name);
  }
}

test("a new database is migrated to the latest version, once, by relays starting together", async () => {
  await withDatabase("migrate_fresh", async (url) => {
    const clients = [0, 1, 2].map(() => new SQL(url, { max: 2 }));
    try {
      expect(await Promise.all(clients.map((c) => migrate(c)))).toEqual(
        [1, 1, 1].map(() => MIGRATIONS.length),
      );
      const rows = await clients[0]!`SELECT version FROM schema_migrations ORDER BY version`;
      expect(rows.map((r: { version: number }) => r.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
      expect(await migrate(clients[0]!)).toBe(MIGRATIONS.length);
    } finally {
      for (const c of clients) await c.close();
    }
  });
});

test("a later migration applies on top; a failing one leaves the schema at the version before it", async () => {
  await withDatabase("migrate_steps", async (url) => {
    const sql = new SQL(url, { max: 1 });
    try {
      expect(await migrate(sql, ["CREATE TABLE a (x int)"])).toBe(1);
      expect(await migrate(sql, ["CREATE TABLE a (x int)", "ALTER TABLE a ADD COLUMN y int"])).toBe(2);
      const broken = [
        "CREATE TABLE a (x int)",
        "ALTER TABLE a ADD COLUMN y int",
        "CREATE TABLE b (z int); SELECT nope",
      ];
      await expect(migrate(sql, broken)).rejects.toThrow(/nope/);
      const [row] =
        await sql`SELECT max(version)::int AS v, to_regclass('b') IS NULL AS no_b FROM schema_migrations`;
      expect(row).toEqual({ v: 2, no_b: true });
    } finally {
      await sql.close();
    }
  });
});

test("a schema newer than this relay is refused, naming both versions", async () => {
  await withDatabase("migrate_newer", async (url) => {
    const sql = new SQL(url, { max: 1 });
    try {
      await migrate(sql, ["SELECT 1", "SELECT 1", "SELECT 1"]);
      const error = await migrate(sql, ["SELECT 1"]).catch((e) => e);
      expect(error).toBeInstanceOf(SchemaTooNewError);
      expect(error.message).toBe("relay database schema v3 is newer than this relay (v1): upgrade the relay");
    } finally {
      await sql.close();
    }
  });
});
