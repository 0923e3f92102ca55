// Reading a request body under a size cap and an optional deadline, then parsing it as JSON and validating it with zod.
import type { z } from "zod";
import { describeIssues } from "../protocol/errors.ts";
import type { Clock } from "../util/clock.ts";
import { describeTooDeep, findTooDeep } from "../util/json-depth.ts";
import { HttpError } from "./errors.ts";

/** The error codes a server answers a bad body with: the relay says `invalid_request` for both. */
export interface BadBodyCodes {
  /** Not JSON at all: empty, not UTF-8, unparsable, or a bad Content-Length. */
  malformed: string;
  /** JSON of the wrong shape or depth. */
  invalid: string;
}

export interface BodyLimits {
  maxBytes: number;
  /** A stalled sender gets 408 and its connection closed once this passes without the whole body. */
  deadline?: { ms: number; clock: Clock };
}

export interface JsonLimits extends BodyLimits {
  /** Deeper JSON is refused before zod walks it (see util/json-depth.ts). */
  maxDepth: number;
  codes: BadBodyCodes;
}

function tooLarge(limit: number): HttpError {
  // The rest of the body is never read, so the connection cannot be reused.
  return new HttpError(413, "payload_too_large", `request body exceeds ${limit} bytes`, {
    details: { limitBytes: limit },
    headers: { connection: "close" },
  });
}

/** The raw body: 413 before reading when Content-Length says it is too big, or as soon as a stream passes the cap. */
export async function readBytes(req: Request, limits: BodyLimits, malformed: string): Promise<Uint8Array> {
  const declared = req.headers.get("content-length");
  if (declared !== null) {
    const n = Number(declared);
    if (!Number.isFinite(n) || n < 0) throw new HttpError(400, malformed, "bad Content-Length header");
    if (n > limits.maxBytes) throw tooLarge(limits.maxBytes);
    // A declared length is exact in HTTP/1.1, so the buffered read cannot exceed it; only a deadline needs the stream.
    if (!limits.deadline) return new Uint8Array(await req.arrayBuffer());
  }
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  let timedOut = false;
  const timer = limits.deadline?.clock.setTimeout(() => {
    timedOut = true;
    reader.cancel().catch(() => {});
  }, limits.deadline.ms);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || timedOut) break;
      total += value.byteLength;
      if (total > limits.maxBytes) {
        reader.cancel().catch(() => {});
        throw tooLarge(limits.maxBytes);
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof HttpError) throw e;
    if (!timedOut) throw new HttpError(400, malformed, "could not read the request body", { cause: e });
  } finally {
    timer?.cancel();
  }
  if (timedOut) {
    throw new HttpError(
      408,
      "request_timeout",
      `request body not received within ${limits.deadline?.ms} ms`,
      {
        headers: { connection: "close" },
      },
    );
  }
  return Buffer.concat(chunks);
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Read, parse and validate a JSON body: 413 when too big, 408 past the deadline, `codes.malformed` (400) for an
 * empty, non-UTF-8 or unparsable body, `codes.invalid` (400) for JSON nested too deep or of the wrong shape,
 * each message naming where (`body.to: Required`).
 */
export async function readJson<S extends z.ZodType>(
  req: Request,
  schema: S,
  limits: JsonLimits,
): Promise<z.infer<S>> {
  const bytes = await readBytes(req, limits, limits.codes.malformed);
  const bad = (message: string, cause?: unknown) =>
    new HttpError(400, limits.codes.malformed, message, { cause });
  if (bytes.byteLength === 0) throw bad("request body is empty; expected JSON");
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch (e) {
    throw bad("request body is not valid UTF-8", e);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw bad(`request body is not valid JSON: ${(e as Error).message}`, e);
  }
  const deep = findTooDeep(value, limits.maxDepth, text);
  if (deep) throw new HttpError(400, limits.codes.invalid, describeTooDeep("body", deep, limits.maxDepth));
  return parseWith(schema, value, "body", limits.codes.invalid);
}

/** Validate `value` (a body, query or path params) against `schema`; a mismatch is a 400 `code` naming each bad field. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: string,
  code: string,
): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new HttpError(400, code, describeIssues(result.error.issues, where), {
      details: result.error.issues,
      cause: result.error,
    });
  }
  return result.data;
}
