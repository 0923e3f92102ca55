// Reading request bodies under a size cap (declared length first, then while streaming) and validating them with zod.
import type { z } from "zod";
import { describeIssues, LIMITS } from "../../protocol/index.ts";
import { describeTooDeep, findTooDeep } from "../../util/json-depth.ts";
import { HttpError, invalid } from "./errors.ts";

function tooLarge(limit: number): HttpError {
  return new HttpError("payload_too_large", `request body exceeds ${limit} bytes`, { limitBytes: limit });
}

/** The raw body, refused with 413 before reading when Content-Length says it is too big, or as soon as a stream passes `limit`. */
export async function readBytes(req: Request, limit: number): Promise<Uint8Array> {
  const declared = req.headers.get("content-length");
  if (declared !== null) {
    const n = Number(declared);
    if (!Number.isFinite(n) || n < 0) throw invalid("bad Content-Length header");
    if (n > limit) throw tooLarge(limit);
    // A declared length is exact in HTTP/1.1, so the buffered read cannot exceed it.
    return new Uint8Array(await req.arrayBuffer());
  }
  if (!req.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = req.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel().catch(() => {});
        throw tooLarge(limit);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return Buffer.concat(chunks);
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Read, parse and validate a JSON body; 413 when too big, 400 for bad JSON, JSON nested deeper than
 * `LIMITS.jsonDepth` (naming where), or a schema mismatch.
 */
export async function readJson<S extends z.ZodType>(
  req: Request,
  schema: S,
  limit: number,
): Promise<z.infer<S>> {
  const bytes = await readBytes(req, limit);
  let value: unknown;
  let text: string;
  try {
    text = decoder.decode(bytes);
    value = JSON.parse(text);
  } catch {
    throw invalid("request body is not valid JSON");
  }
  const deep = findTooDeep(value, LIMITS.jsonDepth, text);
  if (deep) throw invalid(`invalid body: ${describeTooDeep("", deep, LIMITS.jsonDepth)}`);
  return parseWith(schema, value, "body");
}

/** Validate `value` against `schema`; a mismatch is a 400 whose message names the bad fields. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw invalid(`invalid ${where}: ${describeIssues(result.error.issues)}`, result.error.issues);
  }
  return result.data;
}

const POSITIVE_INT = /^[1-9][0-9]{0,15}$/;

/** A numeric path id; anything but a positive safe integer is a 400. */
export function parseIntId(raw: string | undefined, name: string): number {
  const n = raw !== undefined && POSITIVE_INT.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw invalid(`${name} must be a positive integer, got '${raw ?? ""}'`);
  return n;
}

/** Query parameters as a plain object, for zod. */
export function queryOf(req: Request): Record<string, string> {
  const q = req.url.indexOf("?");
  if (q < 0) return {};
  return Object.fromEntries(new URLSearchParams(req.url.slice(q + 1)));
}
