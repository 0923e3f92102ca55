// A throwaway PostgreSQL cluster for tests and benches: initdb in a temp folder, postgres on a free loopback port,
// databases created and dropped by name, everything removed on stop. Uses the machine's PostgreSQL (Debian's
// postgresql package: CI installs it). PostgreSQL refuses to run as root: as root, the server runs as `postgres`.
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { waitFor } from "./wait-for.ts";

const BIN_DIRS = [
  process.env.PG_BIN,
  "/usr/lib/postgresql/17/bin",
  "/usr/lib/postgresql/16/bin",
  "/usr/lib/postgresql/15/bin",
];

/** The folder holding initdb and postgres, or a clear error naming where it looked. */
export function postgresBinDir(): string {
  const found = BIN_DIRS.find((d) => d && existsSync(join(d, "initdb")));
  if (!found) {
    throw new Error(
      `no PostgreSQL found (looked in ${BIN_DIRS.filter(Boolean).join(", ")}; set PG_BIN): install Debian's postgresql (apt-get install postgresql), as .ci/run does`,
    );
  }
  return found;
}

export interface TestPostgres {
  /** `postgres://relay@127.0.0.1:<port>/<db>` (trust auth on loopback). */
  url(database?: string): string;
  createDatabase(name: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = server.port!;
  await server.stop(true);
  return port;
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  const root = mkdtempSync(join(tmpdir(), "relay-pg-"));
  const data = join(root, "data");
  const asRoot = process.getuid?.() === 0;
  // As root the cluster belongs to the postgres user: the temp folder must let it in.
  const user = asRoot ? ["runuser", "-u", "postgres", "--"] : [];
  if (asRoot) {
    const pg = await execa("id", ["-u", "postgres"]);
    const gid = await execa("id", ["-g", "postgres"]);
    chownSync(root, Number(pg.stdout), Number(gid.stdout));
    chmodSync(root, 0o700);
  }
  const run = (cmd: string, args: string[]) =>
    execa(user[0] ?? join(bin, cmd), [...user.slice(1), ...(asRoot ? [join(bin, cmd)] : []), ...args]);
  await run("initdb", ["-D", data, "-U", "relay", "-A", "trust", "--no-sync", "-E", "UTF8"]);
  const port = await freePort();
  const server: ResultPromise = execa(
    user[0] ?? join(bin, "postgres"),
    [
      ...user.slice(1),
      ...(asRoot ? [join(bin, "postgres")] : []),
      "-D",
      data,
      "-p",
      String(port),
      "-k",
      root,
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "fsync=off",
      "-c",
      "max_connections=200",
    ],
    { reject: false },
  );
  const base = `postgres://relay@127.0.0.1:${port}`;
  const admin = () => new Bun.SQL(`${base}/postgres`, { max: 1 });
  await waitFor(
    async () => {
      const sql = admin();
      try {
        await sql`SELECT 1`;
        return true;
      } catch {
        return false;
      } finally {
        await sql.close();
      }
    },
    { timeoutMs: 20_000, what: "the test PostgreSQL to accept connections" },
  );
  watchOwner(root, data);
  const adminSql = admin();
  const postmasterPid = () => Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]);
  return {
    url: (database = "postgres") => `${base}/${database}`,
    async createDatabase(name) {
      await adminSql.unsafe(`CREATE DATABASE "${name.replaceAll('"', "")}"`);
      return `${base}/${name}`;
    },
    async dropDatabase(name) {
      await adminSql.unsafe(`DROP DATABASE IF EXISTS "${name.replaceAll('"', "")}" WITH (FORCE)`);
    },
    async stop() {
      await adminSql.close();
      // The postmaster itself (under runuser when root): SIGINT is PostgreSQL's fast shutdown.
      process.kill(postmasterPid(), "SIGINT");
      await server;
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * A cluster must not outlive the test process that started it, even one that never reaches stop() (bun test fires
 * no `exit` event; a crash or a SIGKILL skips afterAll). A detached shell watches this process: once it is gone,
 * it shuts the server down at once (SIGQUIT) and removes the folder. It leaves as soon as stop() removed the
 * folder, so it never signals a pid that was reused after a normal stop.
 */
function watchOwner(root: string, data: string): void {
  const script = `
    while kill -0 ${process.pid} 2>/dev/null && [ -d '${root}' ]; do sleep 0.5; done
    if [ -f '${data}/postmaster.pid' ]; then
      kill -QUIT "$(head -n 1 '${data}/postmaster.pid')" 2>/dev/null
      sleep 2
    fi
    rm -rf '${root}'`;
  const watcher = Bun.spawn(["bash", "-c", script], {
    stdio: ["ignore", "ignore", "ignore"],
    detached: true,
  });
  watcher.unref();
}
