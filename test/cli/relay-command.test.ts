import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseRelayCliOptions } from "../../src/cli/relay-command.ts";
import { readRelayInfoFile, writeRelayInfoFile } from "../../src/relay/local-info.ts";
import { type RelayProcess, spawnRelayProcess } from "../support/relay-process.ts";
import { waitFor } from "../support/wait-for.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempHome(): string {
  const dir = mkdtempSync(join(tmpdir(), "relay-cli-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function spawn(args: string[], env: Record<string, string>): RelayProcess {
  const child = spawnRelayProcess(args, env);
  cleanups.push(() => child.kill());
  return child;
}

describe("agent-relay-runner relay", () => {
  test("--port 0 prints the URL, writes relay.json with mode 0600, never prints the token, and stops on SIGTERM", async () => {
    const home = tempHome();
    const child = spawn(["--port", "0", "--db", join(home, "r.db")], { HOME: home });
    const url = await child.waitForUrl();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const infoPath = join(home, ".agent-relay", "relay.json");
    await waitFor(() => child.stdout().includes(`root token written to ${infoPath}`), {
      what: "info path line",
    });
    expect(statSync(infoPath).mode & 0o777).toBe(0o600);
    const info = readRelayInfoFile(infoPath)!;
    expect(info.url).toBe(url);
    expect(child.stdout()).not.toContain(info.rootToken);
    expect(child.stderr()).not.toContain(info.rootToken);
    const res = await fetch(`${url}/v1/agents`, { headers: { authorization: `Bearer ${info.rootToken}` } });
    expect(res.status).toBe(200);
    child.proc.kill("SIGTERM");
    expect(await child.exited).toBe(0);
  });

  test("with --root-token-file given, that token works and no relay.json is written", async () => {
    const home = tempHome();
    const token = "a-root-token-chosen-by-the-user";
    writeFileSync(join(home, "root-token"), `${token}\n`, { mode: 0o600 });
    const child = spawn(
      ["--port", "0", "--db", join(home, "r.db"), "--root-token-file", join(home, "root-token")],
      {
        HOME: home,
      },
    );
    const url = await child.waitForUrl();
    expect((await fetch(`${url}/v1/agents`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(
      200,
    );
    expect(existsSync(join(home, ".agent-relay", "relay.json"))).toBe(false);
    expect(child.stdout()).not.toContain(token);
  });

  test("env twins configure the relay when no flag is given", async () => {
    const home = tempHome();
    const child = spawn([], { HOME: home, AGENT_RELAY_PORT: "0", AGENT_RELAY_DB: join(home, "env.db") });
    await child.waitForUrl();
    await waitFor(() => existsSync(join(home, "env.db")), { what: "database at AGENT_RELAY_DB" });
  });

  test("--root-token on the command line exits 2 with one line naming its env and file twins, not the token", async () => {
    const home = tempHome();
    const token = "a-root-token-on-the-command-line";
    const child = spawn(["--port", "0", "--root-token", token], { HOME: home });
    expect(await child.exited).toBe(2);
    const lines = child.stderr().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("AGENT_RELAY_ROOT_TOKEN");
    expect(lines[0]).toContain("--root-token-file");
    expect(child.stderr()).not.toContain(token);
  });

  test("a bad --port exits 2 with a one-line error naming the option", async () => {
    const home = tempHome();
    const child = spawn(["--port", "99999"], { HOME: home });
    expect(await child.exited).toBe(2);
    expect(child.stderr().trim()).toMatch(/^agent-relay-runner relay: invalid --port .*99999/);
    expect(child.stderr().trim().split("\n")).toHaveLength(1);
  });
});

describe("relay durability on the command line", () => {
  test("--durable and AGENT_RELAY_DURABLE=1 select fsync-every-commit; the default says what it risks", async () => {
    const home = tempHome();
    const durable = spawn(["--port", "0", "--db", join(home, "d.db"), "--durable"], { HOME: home });
    await durable.waitForUrl();
    await waitFor(() => durable.stdout().includes("durability: every commit is fsynced"), {
      what: "durable",
    });
    const viaEnv = spawn(["--port", "0", "--db", join(home, "e.db")], {
      HOME: home,
      AGENT_RELAY_DURABLE: "1",
    });
    await viaEnv.waitForUrl();
    await waitFor(() => viaEnv.stdout().includes("durability: every commit is fsynced"), { what: "env" });
    const normal = spawn(["--port", "0", "--db", join(home, "n.db")], { HOME: home });
    await normal.waitForUrl();
    await waitFor(() => normal.stdout().includes("power loss can lose the last commits"), {
      what: "default",
    });
  });

  test("a bad AGENT_RELAY_DURABLE is a one-line error naming it", () => {
    const r = parseRelayCliOptions({}, { AGENT_RELAY_DURABLE: "maybe" });
    expect(r).toEqual({
      ok: false,
      error: "invalid --durable / AGENT_RELAY_DURABLE: must be true, false, 1 or 0 (got 'maybe')",
    });
  });
});

describe("parseRelayCliOptions", () => {
  test("flags win over env twins", () => {
    const r = parseRelayCliOptions({ port: "1234" }, { AGENT_RELAY_PORT: "5678", AGENT_RELAY_HOST: "::1" });
    expect(r).toMatchObject({ ok: true, value: { port: 1234, host: "::1", logLevel: "info" } });
  });

  test("a bad env value is named by its flag and env twin; the root token is never echoed", () => {
    const port = parseRelayCliOptions({}, { AGENT_RELAY_PORT: "http" });
    expect(port.ok).toBe(false);
    if (!port.ok) expect(port.error).toContain("AGENT_RELAY_PORT");
    const token = parseRelayCliOptions({}, { AGENT_RELAY_ROOT_TOKEN: "short" });
    expect(token.ok).toBe(false);
    if (!token.ok) {
      expect(token.error).toContain("AGENT_RELAY_ROOT_TOKEN");
      expect(token.error).not.toContain("short'");
    }
  });
});

describe("relay.json", () => {
  test("is written atomically with mode 0600 and read back; a missing file reads as undefined", () => {
    const dir = tempHome();
    const path = join(dir, "sub", "relay.json");
    expect(readRelayInfoFile(path)).toBeUndefined();
    writeRelayInfoFile(path, { url: "http://127.0.0.1:1", rootToken: "t1" });
    writeRelayInfoFile(path, { url: "http://127.0.0.1:2", rootToken: "t2" });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readRelayInfoFile(path)).toEqual({ url: "http://127.0.0.1:2", rootToken: "t2" });
  });
});

describe("relay restarts keep the root token", () => {
  test("a restart without a given token reuses relay.json's root token, so tokens handed out keep working", async () => {
    const home = tempHome();
    const first = spawn(["--port", "0", "--db", join(home, "r.db")], { HOME: home });
    await first.waitForUrl();
    const infoPath = join(home, ".agent-relay", "relay.json");
    await waitFor(() => first.stdout().includes(`root token written to ${infoPath}`), { what: "relay.json" });
    const before = readRelayInfoFile(infoPath)!.rootToken;
    first.proc.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    const second = spawn(["--port", "0", "--db", join(home, "r.db")], { HOME: home });
    const url = await second.waitForUrl();
    await waitFor(() => second.stdout().includes("root token written to"), { what: "relay.json again" });
    expect(readRelayInfoFile(infoPath)!.rootToken).toBe(before);
    const res = await fetch(`${url}/v1/agents`, { headers: { authorization: `Bearer ${before}` } });
    expect(res.status).toBe(200);
  });
});
