// The relay's PostgreSQL URL option: flag, file or env; a password never on the command line nor in a message.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDatabaseUrl } from "../../src/config/database-url.ts";

const dir = mkdtempSync(join(tmpdir(), "database-url-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("parseDatabaseUrl", () => {
  test("no URL anywhere means SQLite", () => {
    expect(parseDatabaseUrl({}, {})).toEqual({ ok: true, value: undefined });
    expect(parseDatabaseUrl({}, { AGENT_RELAY_DATABASE_URL: "" })).toEqual({ ok: true, value: undefined });
  });

  test("a URL without a password may come as the flag; the flag wins over the env", () => {
    expect(parseDatabaseUrl({ databaseUrl: "postgres://relay@db:5432/relay" }, {})).toEqual({
      ok: true,
      value: "postgres://relay@db:5432/relay",
    });
    expect(
      parseDatabaseUrl({ databaseUrl: "postgres://a@h/x" }, { AGENT_RELAY_DATABASE_URL: "postgres://b@h/y" }),
    ).toEqual({ ok: true, value: "postgres://a@h/x" });
  });

  test("a URL with a password is refused as a flag, without repeating it", () => {
    const r = parseDatabaseUrl({ databaseUrl: "postgres://relay:s3cret@db/relay" }, {});
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toStartWith("--database-url with a password is refused on the command line");
    expect(r.error).not.toContain("s3cret");
  });

  test("the env variable or a file may hold the password", () => {
    const url = "postgresql://relay:s3cret@db:5432/relay?sslmode=require";
    expect(parseDatabaseUrl({}, { AGENT_RELAY_DATABASE_URL: url })).toEqual({ ok: true, value: url });
    const file = join(dir, "url");
    writeFileSync(file, `${url}\n`, { mode: 0o600 });
    expect(parseDatabaseUrl({ databaseUrlFile: file }, {})).toEqual({ ok: true, value: url });
    expect(parseDatabaseUrl({}, { AGENT_RELAY_DATABASE_URL_FILE: file })).toEqual({ ok: true, value: url });
  });

  test("a bad URL or an unreadable file names the option and the rule, the password hidden", () => {
    expect(parseDatabaseUrl({}, { AGENT_RELAY_DATABASE_URL: "mysql://u:pw@h/db" })).toEqual({
      ok: false,
      error:
        "invalid --database-url / AGENT_RELAY_DATABASE_URL: the URL must start with postgres:// or postgresql:// (got 'mysql://u:***@h/db')",
    });
    expect(parseDatabaseUrl({}, { AGENT_RELAY_DATABASE_URL: "postgres://u:pw@h" })).toMatchObject({
      ok: false,
    });
    expect(parseDatabaseUrl({ databaseUrlFile: join(dir, "missing") }, {})).toEqual({
      ok: false,
      error: `invalid --database-url-file / AGENT_RELAY_DATABASE_URL_FILE: cannot read ${join(dir, "missing")}: ENOENT`,
    });
  });
});
