// Opening the PostgreSQL store: clear errors for a bad URL, a server that refuses and a schema newer than the
// relay, none of them showing the URL's password.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { SQL } from "bun";
import {
  openPostgresStore,
  PostgresOpenError,
  redactUrl,
} from "../../../../src/relay/store/postgres/index.ts";
import { startPostgres, type TestPostgres } from "../../../support/postgres.ts";

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(() => pg.stop());

const openError = (url: string) =>
  openPostgresStore(url, { connectionTimeoutSeconds: 2 }).then(
    () => {
      throw new Error("opened");
    },
    (e: unknown) => e as PostgresOpenError,
  );

test("a URL that is not a PostgreSQL database URL is refused before connecting", async () => {
  expect((await openError("mysql://u@h/db")).message).toBe(
    "cannot open the relay database mysql://u@h/db: the URL must start with postgres:// or postgresql://",
  );
  expect((await openError("postgres://u:secret@h:5432")).message).toMatch(/names no database/);
  expect((await openError("postgres://u:secret@h:5432")).message).not.toContain("secret");
  expect((await openError("not a url")).code).toBe("DATABASE_OPEN_FAILED");
});

test("a server that refuses is reported with the URL, password hidden", async () => {
  const closed = pg
    .url("nowhere")
    .replace(/:\d+\//, ":1/")
    .replace("relay@", "relay:hunter2@");
  const error = await openError(closed);
  expect(error).toBeInstanceOf(PostgresOpenError);
  expect(error.message).toStartWith(
    "cannot open the relay database postgres://relay:***@127.0.0.1:1/nowhere: ",
  );
  expect(error.message).not.toContain("hunter2");
  const missing = await openError(pg.url("no_such_database"));
  expect(missing.message).toContain("no_such_database");
});

test("a schema newer than the relay is refused", async () => {
  const url = await pg.createDatabase("open_newer");
  try {
    const store = await openPostgresStore(url);
    await store.close();
    const sql = new SQL(url, { max: 1 });
    await sql`INSERT INTO schema_migrations (version) VALUES (99)`;
    await sql.close();
    expect((await openError(url)).message).toMatch(/schema v99 is newer than this relay \(v1\)/);
  } finally {
    await pg.dropDatabase("open_newer");
  }
});

test("redactUrl hides only the password", () => {
  expect(redactUrl("postgres://u:p@h:5/d?sslmode=require")).toBe("postgres://u:***@h:5/d?sslmode=require");
  expect(redactUrl("postgres://u@h/d")).toBe("postgres://u@h/d");
});
