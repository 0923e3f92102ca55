// Turn one raw bus frame from the server into a typed ServerFrame, or a named reason to drop it.
import { describeIssues, ServerFrame } from "../protocol/index.ts";

export type FrameVerdict =
  | { ok: true; frame: ServerFrame }
  /** `kind` is a short, bounded label for rate-limited logging; `detail` says what was wrong. */
  | { ok: false; kind: string; detail: string };

const KNOWN_TYPES = new Set(["welcome", "message.new", "command", "error", "receipt"]);

/** Parse without throwing: a bad frame is a verdict, never an exception out of the socket handler. */
export function readServerFrame(data: unknown, isBinary: boolean): FrameVerdict {
  if (isBinary) return { ok: false, kind: "binary", detail: "binary frame (the bus speaks JSON text)" };
  let json: unknown;
  try {
    json = JSON.parse(typeof data === "string" ? data : String(data));
  } catch {
    return { ok: false, kind: "bad_json", detail: "frame is not JSON" };
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return { ok: false, kind: "not_object", detail: "frame is not a JSON object" };
  }
  const type = (json as { type?: unknown }).type;
  if (typeof type !== "string" || !KNOWN_TYPES.has(type)) {
    // The type is peer-controlled: keep it out of the log kind so it cannot grow the limiter without bound.
    const shown = typeof type === "string" ? JSON.stringify(type.slice(0, 40)) : typeof type;
    return { ok: false, kind: "unknown_type", detail: `unknown frame type ${shown}` };
  }
  const parsed = ServerFrame.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      kind: `invalid_${type}`,
      detail: `invalid ${type} frame: ${describeIssues(parsed.error.issues)}`,
    };
  }
  return { ok: true, frame: parsed.data };
}
