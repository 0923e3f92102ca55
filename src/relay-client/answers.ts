// Reading the relay's answers: 2xx bodies checked against their schema, anything else turned into an HttpError.
import type { z } from "zod";
import { ClaimAnswer, ClaimConflictAnswer, describeIssues, ErrorBody } from "../protocol/index.ts";
import { HttpError, RelayProtocolError } from "./errors.ts";
import { describeRequest, type TransportRequest, type TransportResponse } from "./transport.ts";

export type ClaimResult = { ok: true; claimExpiresAt: number } | { ok: false; claimedBy: string };

/** The answer of a 2xx response, parsed with `schema`; non-2xx throws HttpError, a bad body RelayProtocolError. */
export async function readAnswer<T>(
  req: TransportRequest,
  res: TransportResponse,
  schema: z.ZodType<T>,
): Promise<T> {
  const text = await (await expectOk(req, res)).text();
  let json: unknown;
  try {
    json = text === "" ? {} : JSON.parse(text);
  } catch (e) {
    throw new RelayProtocolError(`${describeRequest(req)}: relay answered invalid JSON`, { cause: e });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new RelayProtocolError(
      `${describeRequest(req)}: unexpected answer (${describeIssues(parsed.error.issues)})`,
      {
        cause: parsed.error,
      },
    );
  }
  return parsed.data;
}

/** A claim or renewal: a 409 naming the holder is an answer (`ok: false`), any other refusal an HttpError. */
export async function readClaimAnswer(req: TransportRequest, res: TransportResponse): Promise<ClaimResult> {
  if (res.status === 409) {
    const text = await res.text();
    const conflict = ClaimConflictAnswer.safeParse(safeJson(text));
    if (conflict.success) return { ok: false, claimedBy: conflict.data.claimedBy };
    throw toHttpError(req, 409, text);
  }
  const ok = await readAnswer(req, res, ClaimAnswer);
  return { ok: true, claimExpiresAt: ok.claimExpiresAt };
}

export async function expectOk(req: TransportRequest, res: TransportResponse): Promise<TransportResponse> {
  if (res.status >= 200 && res.status < 300) return res;
  throw toHttpError(req, res.status, await res.text().catch(() => ""));
}

/** Build an HttpError from a non-2xx answer; a body that is not the relay's error shape still yields one. */
export function toHttpError(
  req: Pick<TransportRequest, "method" | "path">,
  status: number,
  text: string,
): HttpError {
  const body = ErrorBody.safeParse(safeJson(text));
  const what = describeRequest(req);
  if (body.success) {
    const { code, message, details } = body.data.error;
    return new HttpError(status, code, message, what, details);
  }
  const snippet = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return new HttpError(status, `http_${status}`, snippet || "(empty body)", what);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
