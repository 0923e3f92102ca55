// Small WebSocket chores the bus client needs: a bounded close handshake and a send that never throws.
import WebSocket from "ws";
import type { Clock } from "../util/clock.ts";

/**
 * Close with 1000 and wait for the peer's close frame; past `boundMs` the socket is dropped hard.
 *   client ──close(1000)──▶ relay ──close──▶ client: "close" fires, done
 *   no answer within boundMs: terminate() (TCP reset), done
 */
export function closeGracefully(ws: WebSocket, clock: Clock, boundMs: number, reason: string): Promise<void> {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve();
    const timer = clock.setTimeout(() => {
      ws.terminate();
      resolve();
    }, boundMs);
    ws.once("close", () => {
      timer.cancel();
      resolve();
    });
    try {
      // Close reasons are limited to 123 bytes by the protocol.
      ws.close(1000, reason.slice(0, 120));
    } catch {
      ws.terminate();
    }
  });
}

/** Send a text frame; failures (socket not open, write error) go to `done`, never thrown. */
export function sendText(ws: WebSocket | undefined, text: string, done?: (err?: Error) => void): void {
  if (!ws || ws.readyState !== WebSocket.OPEN) {
    done?.(new Error("bus socket not open"));
    return;
  }
  try {
    ws.send(text, done ? (err) => done(err ?? undefined) : undefined);
  } catch (e) {
    done?.(e instanceof Error ? e : new Error(String(e)));
  }
}
