// Credential checks before a provider starts, and the reason text that marks an auth problem in status.

/** Every auth problem's reason starts with this, so status readers (and the runner) can tell it from other input. */
export const AUTH_REASON_PREFIX = "auth: ";

export function authReason(detail: string): string {
  return `${AUTH_REASON_PREFIX}${detail}`;
}

export function isAuthReason(reason: string | undefined): boolean {
  return reason?.startsWith(AUTH_REASON_PREFIX) ?? false;
}

/** A model failure that means the provider's credentials are missing, wrong or expired. */
export function looksLikeAuthFailure(reason: string): boolean {
  return /authentication|not logged in|invalid (x-)?api[ _-]?key|unauthori[sz]ed|\b401\b|please run \/login|oauth token/i.test(
    reason,
  );
}

/** The first of `names` set to a non-empty value in `env`. */
export function firstSet(
  env: Record<string, string | undefined>,
  names: readonly string[],
): string | undefined {
  return names.find((n) => (env[n] ?? "").trim() !== "");
}
