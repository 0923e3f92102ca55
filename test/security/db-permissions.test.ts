// Issue 9 item 8: the relay database holds the token signing secret, so it is private whatever its path.
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../../src/relay/store/index.ts";

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const mode = (path: string) => statSync(path).mode & 0o777;

/** Open a store the way a careless setup would: a permissive umask, a path outside ~/.agent-relay. */
function openWithUmask(path: string) {
  const old = process.umask(0o022);
  try {
    const store = openStore(path);
    // A write so the WAL and shared-memory files exist and hold data.
    store.db.exec("INSERT INTO settings (key, value) VALUES ('probe', 'x') ON CONFLICT DO NOTHING");
    return store;
  } finally {
    process.umask(old);
  }
}

describe("relay database file modes", () => {
  test("a database in a new nested directory: directories 0700; db, -wal and -shm 0600", () => {
    dir = mkdtempSync(join(tmpdir(), "db-perm-"));
    chmodSync(dir, 0o755);
    const path = join(dir, "team", "state", "relay.db");
    const store = openWithUmask(path);
    try {
      expect(mode(join(dir, "team"))).toBe(0o700);
      expect(mode(join(dir, "team", "state"))).toBe(0o700);
      expect(mode(path)).toBe(0o600);
      expect(mode(`${path}-wal`)).toBe(0o600);
      expect(mode(`${path}-shm`)).toBe(0o600);
      // The parent that already existed is not ours to change.
      expect(mode(dir)).toBe(0o755);
    } finally {
      store.close();
    }
  });

  test("a world-readable database left by an older relay is narrowed to 0600 on open", () => {
    dir = mkdtempSync(join(tmpdir(), "db-perm-"));
    const path = join(dir, "relay.db");
    openWithUmask(path).close();
    for (const f of [path, `${path}-wal`, `${path}-shm`]) {
      try {
        chmodSync(f, 0o644);
      } catch {
        writeFileSync(f, "", { mode: 0o644 });
      }
    }
    const store = openWithUmask(path);
    try {
      for (const f of [path, `${path}-wal`, `${path}-shm`]) expect(mode(f)).toBe(0o600);
    } finally {
      store.close();
    }
  });
});
