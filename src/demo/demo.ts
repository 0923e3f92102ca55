// `agent-relay-runner demo` (npm start): the embedded relay, one runner with a terminal agent, one message in, its screen out.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseRunnerConfig } from "../config/index.ts";
import { CommandAdapter } from "../providers/command/index.ts";
import { Tmux } from "../providers/tmux/index.ts";
import { startRelay } from "../relay/index.ts";
import { RelayHttpClient } from "../relay-client/index.ts";
import { AgentRunner } from "../runner/agent-runner.ts";
import { Credentials } from "../runner/credentials.ts";
import { silentLogger } from "../util/logger.ts";
import { PACKAGE_ROOT } from "../util/package-root.ts";

const say = (line: string) => process.stdout.write(`▶ ${line}\n`);

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`demo: timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

export async function runDemo(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "agent-relay-demo-"));
  const relay = await startRelay({ port: 0, dbPath: join(dir, "relay.db") });
  say(`embedded relay listening on ${relay.url} (database ${join(dir, "relay.db")})`);
  const socket = `agent-relay-demo-${process.pid}`;
  const agentScript = join(PACKAGE_ROOT, "src", "demo", "demo-agent.ts");
  const config = parseRunnerConfig(
    [
      "--provider",
      "command",
      "--headless",
      "--agent-id",
      "demo",
      "--label",
      "demo",
      "--",
      process.execPath,
      agentScript,
    ],
    {},
  );
  const admin = new RelayHttpClient({ relayUrl: relay.url, token: relay.rootToken });
  const minted = await admin.createToken({ agentId: "demo", profileId: "provider-agent", ttlSeconds: 3600 });
  const logger = silentLogger();
  const adapter = new CommandAdapter({
    command: [...config.providerArgs],
    cwd: config.cwd,
    tmuxSocket: socket,
    tmuxSession: "demo",
    readyPattern: "demo-agent> $",
    logger,
  });
  const runner = new AgentRunner({
    config,
    adapter,
    relayUrl: relay.url,
    credentials: new Credentials(minted.token, minted.record),
    logger,
    cacheDir: dir,
  });
  try {
    await runner.start();
    say(`runner started: agent "demo", provider "command", tmux session "demo" on socket "${socket}"`);
    const message = await admin.sendMessage({
      to: "label:demo",
      subject: "hello",
      body: "Hello from the relay!",
    });
    say(`a person sent message #${message.id} to label:demo: "${message.body}"`);
    // The demo agent answers through the relay, as a real agent's skills do: the reply lands in the sender's inbox.
    const reply = await until("the agent's reply", async () => {
      const inbox = await admin.getUnread(message.from);
      return inbox.find((m) => m.replyTo === message.id);
    });
    say(`the agent replied with message #${reply.id} to ${reply.to}: "${reply.body}"`);
    const tmux = new Tmux(socket);
    const screen = await until("the agent's screen", async () => {
      const text = await tmux.capturePane("demo");
      return text.includes(`with message #${reply.id}`) ? text : undefined;
    });
    say("the agent's terminal shows:");
    for (const line of screen.split("\n").filter((l) => l.trim() !== ""))
      process.stdout.write(`    │ ${line}\n`);
    const read = await until("the read mark", async () => {
      const m = await admin.getMessage(message.id);
      return m.readBy.includes("demo") ? m : undefined;
    });
    say(`message #${read.id} is marked read by ${read.readBy.join(", ")} on the relay`);
    say(
      "done. Run an agent of your own: ./bin/agent-relay-runner --provider claude (or follow the README's Walkthrough)",
    );
    return 0;
  } finally {
    await runner.stop({ reason: "demo finished", graceful: false });
    await admin.close();
    await relay.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
