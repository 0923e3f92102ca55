// The relay's PostgreSQL URL, from --database-url, --database-url-file or their env twins. The URL may hold a
// password, so one that does is refused on the command line (every local user can read argv with ps), and no
// message ever shows it.
import { readFileSync } from "node:fs";
import { postgresUrlSchema, redactUrl } from "../relay/store/postgres/index.ts";
import { flagOrEnv, RELAY_SERVE_OPTIONS, type RelayServeOption } from "./relay-options.ts";

type Env = Record<string, string | undefined>;

const option = (key: RelayServeOption["key"]) => RELAY_SERVE_OPTIONS.find((o) => o.key === key)!;
const URL_OPTION = option("databaseUrl");
const FILE_OPTION = option("databaseUrlFile");
const NAME = `${URL_OPTION.flag} / ${URL_OPTION.env}`;

/**
 * The URL to open, undefined for SQLite: the flag (only without a password) wins, then the file (flag or env),
 * then the env variable. The error names the option and the rule, showing the URL with its password hidden.
 */
export function parseDatabaseUrl(
  flags: Record<string, unknown>,
  env: Env,
): { ok: true; value: string | undefined } | { ok: false; error: string } {
  const fromFlag = flags.databaseUrl === undefined ? undefined : String(flags.databaseUrl);
  if (fromFlag !== undefined && URL.canParse(fromFlag) && new URL(fromFlag).password !== "") {
    return {
      ok: false,
      error: `${URL_OPTION.flag} with a password is refused on the command line, where every local user can read it (ps); set ${URL_OPTION.env} or pass ${FILE_OPTION.flag} <path>`,
    };
  }
  let url = fromFlag;
  if (url === undefined) {
    const file = flagOrEnv(FILE_OPTION, flags, env);
    if (file !== undefined) {
      try {
        url = readFileSync(file, "utf8").trim();
      } catch (e) {
        const why = (e as NodeJS.ErrnoException).code ?? String(e);
        return {
          ok: false,
          error: `invalid ${FILE_OPTION.flag} / ${FILE_OPTION.env}: cannot read ${file}: ${why}`,
        };
      }
    }
  }
  url ??= flagOrEnv(URL_OPTION, {}, env);
  if (url === undefined) return { ok: true, value: undefined };
  const parsed = postgresUrlSchema.safeParse(url);
  if (parsed.success) return { ok: true, value: url };
  const why = parsed.error.issues[0]?.message ?? "is invalid";
  return { ok: false, error: `invalid ${NAME}: the URL ${why} (got '${redactUrl(url)}')` };
}
