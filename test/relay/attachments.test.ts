import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestRelay, type TestRelay } from "../support/relay.ts";

let t: TestRelay;
let token: string;

beforeAll(async () => {
  t = await startTestRelay({ limits: { attachmentBytes: 1024 } });
  token = await t.mintToken("att-agent");
});
afterAll(() => t.close());

const upload = (
  bytes: Uint8Array | string | ReadableStream<Uint8Array>,
  query: string,
  as: string | null = token,
) =>
  t.fetchAs(as ?? undefined, `/v1/attachments?${query}`, {
    method: "POST",
    body: bytes,
    headers: { "content-type": "application/octet-stream" },
  });

describe("attachments", () => {
  test("uploaded bytes come back byte for byte with their content type, and a message can reference them", async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const res = await upload(bytes, "name=../../etc/passwd&mimeType=image/png");
    expect(res.status).toBe(200);
    const ref = (await res.json()) as { id: string; name: string; mimeType: string; size: number };
    // Names are stored as given; the runner sanitises when it writes files.
    expect(ref).toMatchObject({ name: "../../etc/passwd", mimeType: "image/png", size: 5 });
    const got = await t.fetchAs(token, `/v1/attachments/${ref.id}`);
    expect(got.headers.get("content-type")).toBe("image/png");
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(bytes);
    const msg = await t.call(token, "POST", "/v1/messages", {
      to: "x",
      body: "see file",
      attachmentIds: [ref.id],
    });
    expect(msg.body.attachments).toEqual([ref]);
  });

  test("a runtime token downloads what it uploaded or what a message it may read references; others get 403", async () => {
    const ref = (await (await upload("secret", "name=s.txt")).json()) as { id: string };
    const path = `/v1/attachments/${ref.id}`;
    const reader = await t.mintToken("att-reader");
    const stranger = await t.mintToken("att-stranger");
    expect((await t.fetchAs(token, path)).status).toBe(200);
    expect((await t.fetchAs(reader, path)).status).toBe(403);
    expect((await t.fetchAs(t.rootToken, path)).status).toBe(200);
    await t.call(token, "POST", "/v1/messages", {
      to: "att-reader",
      body: "for you",
      attachmentIds: [ref.id],
    });
    const got = await t.fetchAs(reader, path);
    expect(got.status).toBe(200);
    expect(await got.text()).toBe("secret");
    expect((await t.fetchAs(stranger, path)).status).toBe(403);
  });

  test("mimeType defaults to application/octet-stream; a missing name is 400", async () => {
    const ok = (await (await upload("abc", "name=a.bin")).json()) as { mimeType: string };
    expect(ok.mimeType).toBe("application/octet-stream");
    expect((await upload("abc", "mimeType=text/plain")).status).toBe(400);
  });

  test("a mime type that is not a valid Content-Type (line break, non-ASCII) is refused at upload with 400", async () => {
    for (const bad of ["text/plain\r\nx-evil: 1", "\u2603", "text", "a/b\u0000"]) {
      const res = await upload("abc", `name=a.txt&mimeType=${encodeURIComponent(bad)}`);
      expect(res.status).toBe(400);
      expect(await res.text()).toContain("mimeType");
    }
    const ok = await upload("abc", `name=a.txt&mimeType=${encodeURIComponent("text/plain; charset=utf-8")}`);
    expect(ok.status).toBe(200);
  });

  test("an upload over the cap is 413, whether declared by Content-Length or streamed chunked", async () => {
    expect((await upload(new Uint8Array(2048), "name=big")).status).toBe(413);
    let n = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (n++ < 4) c.enqueue(new Uint8Array(512));
        else c.close();
      },
    });
    expect((await upload(stream, "name=big")).status).toBe(413);
  });

  test("an unknown attachment is 404 and no token is 401", async () => {
    expect((await t.fetchAs(token, "/v1/attachments/nope")).status).toBe(404);
    expect((await upload("abc", "name=a", null)).status).toBe(401);
  });
});

describe("attachments stored before mime types were checked", () => {
  test("one whose stored mime type is not a valid header value still downloads, as application/octet-stream", async () => {
    const dir = mkdtempSync(join(tmpdir(), "att-legacy-"));
    const dbPath = join(dir, "relay.db");
    try {
      const first = await startTestRelay({ dbPath });
      await first.close();
      const db = new Database(dbPath);
      db.query(
        "INSERT INTO attachments (id, name, mime_type, size, data, uploaded_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ).run("legacy-1", "a.txt", "text/\u2603", 3, new TextEncoder().encode("abc"), "root", 1);
      db.close();
      const again = await startTestRelay({ dbPath });
      try {
        const got = await again.fetchAs(again.rootToken, "/v1/attachments/legacy-1");
        expect(got.status).toBe(200);
        expect(got.headers.get("content-type")).toBe("application/octet-stream");
        expect(await got.text()).toBe("abc");
      } finally {
        await again.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
