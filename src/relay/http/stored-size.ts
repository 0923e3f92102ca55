// Size limits on what the relay stores and pushes, measured on the serialised form after validation: a request
// can grow when written back out (each `1e20` becomes 21 digits), so the bytes received prove nothing.

import type { HttpError } from "../../http/errors.ts";
import type { NewMessage } from "../store/messages.ts";
import { relayError } from "./errors.ts";

/** The fields of a new message that its `message.new` frame carries (the payload is measured as serialised). */
export type OutgoingMessage = Omit<NewMessage, "payload" | "payloadJson">;

/**
 * The size in bytes of the `message.new` frame the message will be pushed in (with the largest id), given its
 * payload already serialised; 413 when that is over `limit` (the bus frame cap), so nothing is stored that
 * the bus cannot deliver.
 */
export function assertMessageFits(m: OutgoingMessage, payloadJson: string, limit: number): number {
  // The frame without body and payload ("" and {} are 2 bytes each), plus the two serialised on their own.
  const frame = JSON.stringify({
    type: "message.new",
    message: { ...m, id: Number.MAX_SAFE_INTEGER, body: "", payload: {}, readBy: [], reactions: [] },
  });
  const size =
    Buffer.byteLength(frame) - 4 + Buffer.byteLength(JSON.stringify(m.body)) + Buffer.byteLength(payloadJson);
  if (size > limit) throw tooBig("message", size, limit);
  return size;
}

/** 413 when `json` (something about to be stored or pushed) is over `limit` bytes. */
export function assertJsonFits(json: string, limit: number, what: string): void {
  const size = Buffer.byteLength(json);
  if (size > limit) throw tooBig(what, size, limit);
}

function tooBig(what: string, size: number, limit: number): HttpError {
  return relayError(
    "payload_too_large",
    `${what} is ${size} bytes as stored and sent, over the limit of ${limit} bytes ` +
      "(JSON is measured as the relay writes it back out: a number such as 1e20 is written in full)",
    { limitBytes: limit, storedBytes: size },
  );
}
