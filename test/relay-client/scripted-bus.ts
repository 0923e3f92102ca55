// A scripted stand-in for the relay bus (Bun.serve on port 0) and fixtures for bus client tests.
import type { Server, ServerWebSocket } from "bun";
import type { Message } from "../../src/protocol/index.ts";

export function message(id: number): Message {
  return {
    id,
    from: "alice",
    to: "bob",
    kind: "chat",
    body: `hello ${id}`,
    payload: {},
    claimable: false,
    readBy: [],
    reactions: [],
    attachments: [],
    createdAt: 1,
  };
}

/** A bus server on port 0 that does whatever the test scripts (including misbehaving); `script` decides what each connection gets after hello. */
export function scriptedBus(script: (ws: ServerWebSocket<unknown>, connection: number) => void) {
  const hellos: Record<string, unknown>[] = [];
  const clientFrames: Record<string, unknown>[] = [];
  const closeCodes: number[] = [];
  let connections = 0;
  const server: Server<unknown> = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req, srv) {
      if (srv.upgrade(req, { data: undefined })) return;
      return new Response("not a bus", { status: 400 });
    },
    websocket: {
      close(_ws, code) {
        closeCodes.push(code);
      },
      maxPayloadLength: 16 * 1024 * 1024,
      message(ws, raw) {
        const frame = JSON.parse(String(raw)) as Record<string, unknown>;
        clientFrames.push(frame);
        if (frame.type !== "hello") return;
        hellos.push(frame);
        connections++;
        script(ws, connections);
      },
    },
  });
  return { server, hellos, clientFrames, closeCodes, url: `http://127.0.0.1:${server.port}` };
}

export const HELLO = {
  role: "provider" as const,
  componentId: "test",
  agentId: "bob",
  instanceId: "i-1",
  machine: "m",
  capabilities: [],
  tags: [],
  meta: {},
  status: "idle" as const,
};
