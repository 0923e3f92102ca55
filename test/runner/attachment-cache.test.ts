// AttachmentCache against the real relay: safe cached files, re-use by id, and permanent vs transient download failures.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RelayHttpClient } from "../../src/relay-client/index.ts";
import { AttachmentCache } from "../../src/runner/attachment-cache.ts";
import { isRunnerError } from "../../src/util/errors.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";

let relay: TestRelay;
let http: RelayHttpClient;
let dir: string;
beforeAll(async () => {
  relay = await startTestRelay();
  http = new RelayHttpClient({ relayUrl: relay.url, token: relay.rootToken });
  dir = mkdtempSync(join(tmpdir(), "att-cache-"));
});
afterAll(async () => {
  await http.close();
  await relay.close();
  rmSync(dir, { recursive: true, force: true });
});

const cacheWith = (download: ConstructorParameters<typeof AttachmentCache>[1], cap = 1024) =>
  new AttachmentCache(dir, download, cap);

describe("AttachmentCache", () => {
  test("downloads once into a 0600 file with a safe name, then re-uses it by id", async () => {
    const ref = await http.uploadAttachment(new TextEncoder().encode("hello"), { name: "../../notes.txt" });
    let downloads = 0;
    const cache = cacheWith((id, o) => {
      downloads++;
      return http.downloadAttachment(id, o);
    });
    const path = await cache.fetch(ref);
    expect(path.startsWith(`${dir}/`)).toBe(true);
    expect(readFileSync(path, "utf8")).toBe("hello");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(await cache.fetch(ref)).toBe(path);
    expect(downloads).toBe(1);
  });

  test("an attachment the relay no longer has is a permanent failure (DELIVERY_FAILED), refused alone by the queue", async () => {
    const cache = cacheWith((id, o) => http.downloadAttachment(id, o));
    const missing = {
      id: "no-such-attachment",
      name: "x.bin",
      mimeType: "application/octet-stream",
      size: 3,
    };
    const error = await cache.fetch(missing).catch((e) => e);
    expect(isRunnerError(error, "DELIVERY_FAILED")).toBe(true);
    expect(String(error.message)).toContain("cannot be fetched");
  });

  test("a relay that cannot be reached is transient: not DELIVERY_FAILED, so the batch is retried", async () => {
    const ref = await http.uploadAttachment(new TextEncoder().encode("later"), { name: "later.txt" });
    const down = new RelayHttpClient({ relayUrl: "http://127.0.0.1:9", token: "t", timeoutMs: 1_000 });
    const cache = cacheWith((id, o) => down.downloadAttachment(id, o));
    const error = await cache.fetch(ref).catch((e) => e);
    await down.close();
    expect(error).toBeInstanceOf(Error);
    expect(isRunnerError(error, "DELIVERY_FAILED")).toBe(false);
  });

  test("an attachment over the cap is refused before any download", async () => {
    let downloads = 0;
    const cache = cacheWith(async () => {
      downloads++;
      return new Uint8Array(0);
    }, 10);
    const big = { id: "big", name: "big.bin", mimeType: "application/octet-stream", size: 11 };
    const error = await cache.fetch(big).catch((e) => e);
    expect(isRunnerError(error, "DELIVERY_FAILED")).toBe(true);
    expect(downloads).toBe(0);
  });
});
