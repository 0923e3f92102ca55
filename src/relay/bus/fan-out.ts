// Which frames each open bus session gets from a batch of new messages: every message its agent matches, except its
// own; each frame serialised once, however many sessions get it.
import { type Message, matchesAgent } from "../../protocol/index.ts";
import type { BusSocketData } from "./session.ts";

type Session = { data: BusSocketData };

export function fanOutMessages<S extends Session>(
  sessions: Iterable<S>,
  batch: readonly Message[],
  sendAll: (session: S, frames: string[]) => void,
): void {
  if (batch.length === 0) return;
  const frames = new Array<string | undefined>(batch.length);
  for (const ws of sessions) {
    const id = ws.data.identity;
    if (ws.data.state !== "open" || !id) continue;
    const out: string[] = [];
    batch.forEach((message, i) => {
      if (id.agentId === message.from || !matchesAgent(message, id.address)) return;
      frames[i] ??= JSON.stringify({ type: "message.new", message });
      out.push(frames[i]!);
    });
    sendAll(ws, out);
  }
}
