// `agent-relay-runner relay` on PostgreSQL: the URL from the env (password included) or a file, never shown; a
// password on the command line or a server that refuses is one line on stderr.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPostgres, type TestPostgres } from "../support/postgres.ts";
import { type RelayProcess, spawnRelayProcess } from "../support/relay-process.ts";
import { waitFor } from "../support/wait-for.ts";

let pg: TestPostgres;
let home: string;
const children: RelayProcess[] = [];
beforeAll(async () => {
  pg = await startPostgres();
  home = mkdtempSync(join(tmpdir(), "relay-pg-cli-"));
});
afterEach(async () => {
  for (const c of children.splice(0)) await c.kill();
});
afterAll(async () => {
  await pg.stop();
  rmSync(home, { recursive: true, force: true });
});

function spawn(args: string[], env: Record<string, string>): RelayProcess {
  const child = spawnRelayProcess(args, { HOME: home, ...env });
  children.push(child);
  return child;
}

describe("agent-relay-runner relay on PostgreSQL", () => {
  test("AGENT_RELAY_DATABASE_URL selects PostgreSQL; the password appears nowhere in the output", async () => {
    // Trust authentication on the test cluster ignores the password: it is only there to be hidden.
    const url = (await pg.createDatabase("cli")).replace("relay@", "relay:hunter2@");
    const child = spawn(["--port", "0"], { AGENT_RELAY_DATABASE_URL: url });
    const relayUrl = await child.waitForUrl();
    await waitFor(() => child.stdout().includes("store: PostgreSQL postgres://relay:***@127.0.0.1:"), {
      what: "the store line",
    });
    const res = await fetch(`${relayUrl}/v1/health`);
    expect(res.status).toBeLessThan(500);
    expect(child.stdout() + child.stderr()).not.toContain("hunter2");
  });

  test("a password on the command line is refused; a server that refuses is one line; neither shows it", async () => {
    const flag = spawn(["--port", "0", "--database-url", "postgres://relay:hunter2@127.0.0.1:1/x"], {});
    expect(await flag.exited).toBe(2);
    expect(flag.stderr()).toContain("--database-url with a password is refused on the command line");
    const refused = spawn(["--port", "0"], {
      AGENT_RELAY_DATABASE_URL: "postgres://relay:hunter2@127.0.0.1:1/x",
    });
    expect(await refused.exited).toBe(1);
    expect(refused.stderr()).toStartWith(
      "agent-relay-runner relay: cannot open the relay database postgres://relay:***@127.0.0.1:1/x",
    );
    expect(flag.stderr() + refused.stderr() + refused.stdout()).not.toContain("hunter2");
  });
});
