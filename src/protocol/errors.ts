// The relay's error body and the stable error codes both sides switch on.
import { z } from "zod";

export const ERROR_CODES = [
  "invalid_request",
  "unauthorized",
  "token_expired",
  "forbidden",
  "not_found",
  "method_not_allowed",
  "claim_conflict",
  "not_claimable",
  "conflict",
  "stale_instance",
  "replaced",
  "payload_too_large",
  "rate_limited",
  "internal",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    /** zod issues for a 400 validation error; `{limitBytes}` for a 413. */
    details: z.unknown().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/**
 * Turn zod issues into a short, human line naming each bad field: "to: Required; claimable: Expected boolean", or
 * under `where` "body.to: Required" (the root itself is then "body").
 */
export function describeIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  where?: string,
): string {
  const name = (path: readonly PropertyKey[]) => {
    const inner = path.map(String).join(".");
    if (where === undefined) return inner || "(root)";
    return inner ? `${where}.${inner}` : where;
  };
  const parts = issues.slice(0, 5).map((i) => `${name(i.path)}: ${i.message}`);
  if (issues.length > 5) parts.push(`(${issues.length - 5} more)`);
  return parts.join("; ");
}
