// Test helper: a bus client on a raw TCP socket that can stop reading (pause), as a hostile or stuck client
// would — the relay then sees real backpressure. Speaks just enough WebSocket: the upgrade, masked text
// frames out, unmasked text and close frames in.
//
//   const bus = await openRawBus(url, { type: "hello", ... });   // resolves on the first answer frame
//   bus.pause();                       // stop reading: the relay's unsent frames pile up
//   bus.resume(); await bus.closed;    // read on until the relay's close frame; the close code
import { randomBytes } from "node:crypto";
import net from "node:net";
import { waitFor } from "./wait-for.ts";

export interface RawBus {
  /** Text frames received so far, parsed. */
  frames: { type: string; [key: string]: unknown }[];
  /** The relay's close code once its close frame was read. */
  closeCode: number | undefined;
  /** Resolves with the close code (undefined when the connection ended without a close frame). */
  closed: Promise<number | undefined>;
  pause(): void;
  resume(): void;
  destroy(): void;
}

export async function openRawBus(relayUrl: string, hello: object, timeoutMs = 5_000): Promise<RawBus> {
  const { hostname, port } = new URL(relayUrl);
  const socket = net.connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.on("error", () => {});
  let buffer: Buffer = Buffer.alloc(0);
  let upgraded = false;
  let resolveClosed: (code: number | undefined) => void = () => {};
  const bus: RawBus = {
    frames: [],
    closeCode: undefined,
    closed: new Promise((r) => {
      resolveClosed = r;
    }),
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    destroy: () => socket.destroy(),
  };
  socket.on("close", () => resolveClosed(bus.closeCode));
  socket.on("data", (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    if (!upgraded) {
      const end = buffer.indexOf("\r\n\r\n");
      if (end < 0) return;
      upgraded = true;
      buffer = buffer.subarray(end + 4);
    }
    buffer = readFrames(buffer, bus);
    if (bus.closeCode !== undefined) socket.end();
  });
  socket.write(
    `GET /v1/bus HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  socket.write(maskedTextFrame(JSON.stringify(hello)));
  await waitFor(() => bus.frames.length > 0 || bus.closeCode !== undefined, {
    timeoutMs,
    intervalMs: 5,
    what: "the relay's answer to hello",
  });
  return bus;
}

/** Consume every whole frame at the start of `buf`; answers what is left. */
function readFrames(buf: Buffer, bus: RawBus): Buffer {
  for (;;) {
    if (buf.length < 2) return buf;
    const opcode = buf[0]! & 0x0f;
    let len = buf[1]! & 0x7f;
    let at = 2;
    if (len === 126) {
      if (buf.length < 4) return buf;
      len = buf.readUInt16BE(2);
      at = 4;
    } else if (len === 127) {
      if (buf.length < 10) return buf;
      len = Number(buf.readBigUInt64BE(2));
      at = 10;
    }
    if (buf.length < at + len) return buf;
    const payload = buf.subarray(at, at + len);
    if (opcode === 1) bus.frames.push(JSON.parse(payload.toString("utf8")));
    else if (opcode === 8) bus.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
    buf = buf.subarray(at + len);
  }
}

function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text, "utf8");
  const mask = randomBytes(4);
  const len = payload.length;
  const head =
    len < 126
      ? Buffer.from([0x81, 0x80 | len])
      : len < 65536
        ? Buffer.from([0x81, 0x80 | 126, len >> 8, len & 0xff])
        : Buffer.concat([Buffer.from([0x81, 0x80 | 127]), bigLength(len)]);
  const masked = Buffer.alloc(len);
  for (let i = 0; i < len; i++) masked[i] = payload[i]! ^ mask[i % 4]!;
  return Buffer.concat([head, mask, masked]);
}

function bigLength(len: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(len));
  return b;
}
