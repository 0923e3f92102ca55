// Inside an agent, the CLI asks its runner's control server for the current token instead of the spawn-time env copy.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ControlServer } from "../../src/control/index.ts";
import { RelayHttpClient } from "../../src/relay-client/http-client.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { runCli } from "./run-cli.ts";

setDefaultTimeout(25_000);

let t: TestRelay;
let control: ControlServer;
let home: string;
let current: string;

beforeAll(async () => {
  t = await startTestRelay();
  current = await t.mintToken("cred-agent");
  control = new ControlServer({
    credentials: () => ({ relayUrl: t.url, agentId: "cred-agent", token: current }),
  });
  control.start();
  home = mkdtempSync(join(tmpdir(), "cli-cred-home-"));
});
afterAll(async () => {
  await control.stop();
  await t.close();
  rmSync(home, { recursive: true, force: true });
});

describe("messaging CLI inside an agent", () => {
  test("uses the runner's current token when the env copy is stale, and sends as the agent", async () => {
    const env = {
      HOME: home,
      AGENT_RELAY_URL: "http://127.0.0.1:9",
      AGENT_RELAY_TOKEN: "stale-token-from-spawn-time",
      AGENT_RELAY_AGENT_ID: "cred-agent",
      AGENT_RELAY_CONTROL_URL: control.url,
      AGENT_RELAY_CONTROL_SECRET: control.secret,
    };
    const sent = await runCli(["send", "--to", "someone", "--queue", "hello via the runner"], { env });
    expect(sent.stderr).toBe("");
    expect(sent.code).toBe(0);
    const root = new RelayHttpClient({ relayUrl: t.url, token: t.rootToken });
    const message = await root.getMessage(Number(sent.stdout.trim()));
    await root.close();
    expect(message.from).toBe("cred-agent");
    expect(message.body).toBe("hello via the runner");
  });

  test("an explicit --token-file wins over the runner's credentials", async () => {
    const env = {
      HOME: home,
      AGENT_RELAY_CONTROL_URL: control.url,
      AGENT_RELAY_CONTROL_SECRET: control.secret,
    };
    const file = join(home, "wrong-token");
    writeFileSync(file, "wrong\n", { mode: 0o600 });
    const r = await runCli(["send", "--relay-url", t.url, "--token-file", file, "--to", "x", "body"], {
      env,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("401");
  });

  test("--token on the command line is refused (exit 2) without echoing it", async () => {
    const r = await runCli(["send", "--relay-url", t.url, "--token", "s3cret-on-argv", "--to", "x", "body"], {
      env: { HOME: home },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--token is refused on the command line");
    expect(r.stderr).toContain("--token-file");
    expect(r.stderr).not.toContain("s3cret-on-argv");
  });
});
