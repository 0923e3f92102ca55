// Reads team.toml: Bun's TOML parser, then the zod schema; every error names the file, the table and the key.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { z } from "zod";
import { errorMessage } from "../util/errors.ts";
import { TeamFile } from "./team-schema.ts";

/** A team file that cannot be used; the message is one line naming the file, the table and the key. */
export class TeamFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TeamFileError";
  }
}

export function isTeamFileError(e: unknown): e is TeamFileError {
  return e instanceof TeamFileError;
}

/** Tables whose second path segment is a name chosen in the file: `[agents.<id>]`, `[profiles.<name>]`. */
const NAMED_TABLES = new Set(["agents", "profiles"]);

/** Where in the file a schema path points: `[agents.alpha]` and `restart`, `[relay]` and `url`, … */
export function locate(path: readonly PropertyKey[]): { table: string; key: string } {
  const parts = path.map(String);
  if (parts.length === 0) return { table: "(top level)", key: "" };
  const depth = NAMED_TABLES.has(parts[0]!) ? 2 : 1;
  if (parts.length <= depth) {
    // The path names a table itself (a bad agent id, or a missing table).
    return depth === 2 && parts.length === 2
      ? { table: `[${parts[0]}.${parts[1]}]`, key: "" }
      : { table: parts.length === 1 ? "(top level)" : `[${parts[0]}]`, key: parts.at(-1)! };
  }
  return { table: `[${parts.slice(0, depth).join(".")}]`, key: parts.slice(depth).join(".") };
}

/** One line for one zod issue: `team.toml: [agents.alpha] restart: expected one of …`. */
export function describeTeamIssue(file: string, issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((k) => `'${k}'`).join(", ");
    return issue.path.length === 0
      ? `${file}: unknown table ${keys}`
      : `${file}: [${issue.path.map(String).join(".")}] unknown key ${keys}`;
  }
  const { table, key } = locate(issue.path);
  let message = issue.message;
  if (issue.code === "invalid_key") message = `bad name: ${issue.issues[0]?.message ?? message}`;
  if (issue.code === "invalid_type" && /received undefined/.test(message)) message = "required";
  return `${file}: ${table}${key ? ` ${key}` : ""}: ${message}`;
}

/** Parse and validate the TOML text of a team file. */
export function parseTeamText(text: string, file: string): TeamFile {
  let raw: unknown;
  try {
    raw = Bun.TOML.parse(text);
  } catch (e) {
    throw new TeamFileError(`${file}: not valid TOML: ${errorMessage(e)}`);
  }
  const parsed = TeamFile.safeParse(raw);
  if (!parsed.success) {
    // A misspelt table or key explains the rest ("[agent.a]" also leaves "agents" missing): report it first.
    const issues = parsed.error.issues;
    const first = issues.find((i) => i.code === "unrecognized_keys") ?? issues[0]!;
    throw new TeamFileError(describeTeamIssue(file, first));
  }
  return parsed.data;
}

/** Read, parse and validate `path`; the error names the file as given. */
export function readTeamFile(path: string): { team: TeamFile; file: string } {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TeamFileError(`${path}: cannot read the team file (${code ?? errorMessage(e)})`);
  }
  return { team: parseTeamText(text, path), file };
}
