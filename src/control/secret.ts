// The control server's per-run secret: generation, extraction from a request, and constant-time checking.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export const SECRET_HEADER = "x-agent-relay-secret";
/** Secrets shorter than this are refused, so a guessable value can never guard the server. */
export const MIN_SECRET_LENGTH = 32;

/** 32 random bytes as base64url (43 characters). */
export function generateSecret(): string {
  return randomBytes(32).toString("base64url");
}

/** The secret a request presents: `Authorization: Bearer <secret>`, else the `x-agent-relay-secret` header. */
export function presentedSecret(headers: Headers): string | undefined {
  const auth = headers.get("authorization");
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  return headers.get(SECRET_HEADER) ?? undefined;
}

/**
 * Compare in constant time. Both sides are hashed first so their lengths are equal and the comparison
 * time reveals neither the secret's length nor how many leading characters matched.
 */
export function secretMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = createHash("sha256").update(presented).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}
