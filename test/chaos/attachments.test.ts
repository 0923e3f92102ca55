// Chaos: attachment names built to escape the cache (.., absolute paths, NUL, huge) and sizes over the cap.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve, sep } from "node:path";
import { RelayHttpClient } from "../../src/relay-client/index.ts";
import { AttachmentCache, DEFAULT_ATTACHMENT_CAP_BYTES } from "../../src/runner/attachment-cache.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";
import { waitFor } from "../support/wait-for.ts";
import { capturedLogger, chaosRunner, stopChaosRunners } from "./support.ts";

let relay: TestRelay | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await stopChaosRunners();
  await relay?.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const HOSTILE_NAMES = [
  "../../x",
  "../../../../../../tmp/escaped-by-attachment",
  "/etc/passwd",
  "a\u0000b.txt",
  "..",
  ".",
  ".hidden",
  "C:\\Windows\\evil.bat",
  "a/../../b",
  "\u202Etxt.exe",
  "line\nbreak\r\u001b[31m.txt",
  "n".repeat(255),
];

async function upload(t: TestRelay, name: string, bytes: Uint8Array) {
  const res = await t.fetchAs(t.rootToken, `/v1/attachments?name=${encodeURIComponent(name)}`, {
    method: "POST",
    headers: { "content-type": "application/octet-stream" },
    body: bytes,
  });
  return { status: res.status, body: (await res.json()) as { id: string; error?: { code: string } } };
}

const inside = (dir: string, path: string) => resolve(path).startsWith(resolve(dir) + sep);

describe("hostile attachments", () => {
  test(`${HOSTILE_NAMES.length} hostile names uploaded through the relay and delivered through a runner: all ${HOSTILE_NAMES.length} stored inside the cache, byte for byte, none outside; a 10,000-character name is refused`, async () => {
    relay = await startTestRelay();
    const r = await chaosRunner({ relayUrl: relay.url, token: await relay.mintToken("att"), agentId: "att" });
    const cacheDir = join(r.dir, "cache", "attachments", "att");

    const long = await upload(relay, "y".repeat(10_000), new Uint8Array([1]));
    expect(long.status).toBe(400);

    const contents = HOSTILE_NAMES.map((_, i) => new TextEncoder().encode(`attachment ${i} `.repeat(50 + i)));
    const ids: string[] = [];
    for (const [i, name] of HOSTILE_NAMES.entries()) {
      const up = await upload(relay, name, contents[i]!);
      expect({ name, status: up.status }).toEqual({ name, status: 200 });
      ids.push(up.body.id);
    }
    const sent = await relay.call(relay.rootToken, "POST", "/v1/messages", {
      to: "att",
      body: "files",
      attachmentIds: ids,
    });
    expect(sent.status).toBe(200);
    const delivery = await waitFor(() => r.adapter.deliveries.find((d) => d.id === sent.body.id), {
      what: "the message with attachments",
    });

    expect(delivery.attachmentPaths.length).toBe(HOSTILE_NAMES.length);
    for (const [i, path] of delivery.attachmentPaths.entries()) {
      expect({ path, inside: inside(cacheDir, path) }).toEqual({ path, inside: true });
      const name = basename(path);
      expect(name).not.toMatch(/[\u0000-\u001f/\\]/);
      expect(name.startsWith(".")).toBe(false);
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
      expect(readFileSync(path)).toEqual(Buffer.from(contents[i]!));
      expect(statSync(path).mode & 0o777).toBe(0o600);
    }
    // Every file in the cache is one of ours; nothing landed beside it or above it.
    expect(readdirSync(cacheDir).length).toBe(HOSTILE_NAMES.length);
    expect(existsSync(join(r.dir, "x"))).toBe(false);
    expect(existsSync(join(r.dir, "cache", "x"))).toBe(false);
    expect(existsSync("/tmp/escaped-by-attachment")).toBe(false);
  }, 20_000);

  test("a file over the cache's cap is refused without writing anything, whether its size is declared honestly or understated", async () => {
    relay = await startTestRelay();
    const http = new RelayHttpClient({ relayUrl: relay.url, token: relay.rootToken });
    const dir = mkdtempSync(join(tmpdir(), "chaos-att-"));
    dirs.push(dir);
    const cache = new AttachmentCache(dir, (id, o) => http.downloadAttachment(id, o), 1_024);
    const big = await upload(relay, "big.bin", new Uint8Array(2_048).fill(7));
    const ref = { id: big.body.id, name: "big.bin", mimeType: "application/octet-stream", size: 2_048 };

    await expect(cache.fetch(ref)).rejects.toThrow(/over the 1024-byte cap/);
    // A relay that understates the size: the download itself is capped.
    await expect(cache.fetch({ ...ref, size: 10 })).rejects.toThrow();
    expect(readdirSync(dir)).toEqual([]);

    // A 10,000-character name from a relay that does not check names still yields one bounded file inside.
    const small = await upload(relay, "s.txt", new Uint8Array([1, 2, 3]));
    const path = await cache.fetch({
      id: small.body.id,
      name: `${"z".repeat(10_000)}.txt`,
      mimeType: "text/plain",
      size: 3,
    });
    expect(inside(dir, path)).toBe(true);
    expect(Buffer.byteLength(basename(path))).toBeLessThanOrEqual(255);
    expect(path.endsWith(".txt")).toBe(true);
    await http.close();
  }, 20_000);

  test("a message whose attachment is over the runner's cap is refused alone: the 3 messages around it are delivered, it is not, and it is logged once", async () => {
    // A relay configured with a higher upload cap than the runner's cache (25 MB) can hand it a file it must refuse.
    relay = await startTestRelay({ limits: { attachmentBytes: 26 * 1024 * 1024 } });
    const { logger, records } = capturedLogger();
    const r = await chaosRunner({
      relayUrl: relay.url,
      token: await relay.mintToken("cap"),
      agentId: "cap",
      logger,
    });
    const big = await upload(relay, "big.bin", new Uint8Array(DEFAULT_ATTACHMENT_CAP_BYTES + 1));
    expect(big.status).toBe(200);
    const send = async (body: string, attachmentIds: string[] = []) =>
      (await relay!.call(relay!.rootToken, "POST", "/v1/messages", { to: "cap", body, attachmentIds })).body
        .id;
    const before = await send("before");
    const poisoned = await send("too big", [big.body.id]);
    const after = [await send("after 1"), await send("after 2")];

    await waitFor(() => after.every((id) => r.adapter.deliveries.some((d) => d.id === id)), {
      timeoutMs: 15_000,
      what: "the messages after the over-cap one",
    });
    // Another unread read re-offers the refused message: it is not tried again.
    await r.runner.liveness.readUnread();
    await r.runner.queue.idle();
    const ids = r.adapter.deliveries.map((d) => d.id);
    expect({ delivered: ids, refusedDelivered: ids.includes(poisoned) }).toEqual({
      delivered: [before, ...after],
      refusedDelivered: false,
    });
    const refusals = records.filter((l) => l.level >= 40 && /cap/.test(JSON.stringify(l)));
    expect(refusals.length).toBe(1);
    expect(r.runner.state).toBe("running");
  }, 30_000);
});
