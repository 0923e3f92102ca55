// The relay's use of the HTTP kit: every malformed request is `invalid_request`; path ids are parsed with zod once.
import type { BunRequest } from "bun";
import { z } from "zod";
import { readBytes as kitReadBytes, readJson as kitReadJson, parseWith } from "../../http/body.ts";
import { queryOf } from "../../http/routes.ts";
import { AgentId, LIMITS } from "../../protocol/index.ts";

const BAD_REQUEST = "invalid_request";
const CODES = { malformed: BAD_REQUEST, invalid: BAD_REQUEST };

/** A JSON body of at most `maxBytes`, validated by `schema` (see http/body.ts for the refusals). */
export function readJson<S extends z.ZodType>(
  req: Request,
  schema: S,
  maxBytes: number,
): Promise<z.infer<S>> {
  return kitReadJson(req, schema, { maxBytes, maxDepth: LIMITS.jsonDepth, codes: CODES });
}

/** A raw body of at most `maxBytes` (an attachment upload). */
export function readBytes(req: Request, maxBytes: number): Promise<Uint8Array> {
  return kitReadBytes(req, { maxBytes }, BAD_REQUEST);
}

export function parseQuery<S extends z.ZodType>(req: Request, schema: S): z.infer<S> {
  return parseWith(schema, queryOf(req), "query", BAD_REQUEST);
}

export function parsePath<S extends z.ZodType>(req: BunRequest, schema: S): z.infer<S> {
  return parseWith(schema, req.params, "path", BAD_REQUEST);
}

/** `:id` of a message or task: a positive safe integer. */
export const NumericIdPath = z.object({
  id: z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, "must be a positive integer")
    .transform(Number)
    .refine(Number.isSafeInteger, "must be a safe integer"),
});

/** `:id` of an agent (Bun has percent-decoded it). */
export const AgentIdPath = z.object({ id: AgentId });

/** `:id` of a command or attachment: opaque, 1-64 characters. */
export const OpaqueIdPath = z.object({ id: z.string().min(1).max(64) });
