// ~/.agent-relay/relay.json: where a locally started relay tells local tools its URL and root token.
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { z } from "zod";

export const RelayInfo = z.object({ url: z.string().url(), rootToken: z.string().min(1) });
export type RelayInfo = z.infer<typeof RelayInfo>;

/** ~/.agent-relay, honouring $HOME so tests and sandboxes can point it elsewhere. */
export function defaultRelayDir(): string {
  return join(process.env.HOME || homedir(), ".agent-relay");
}

export function defaultRelayInfoPath(): string {
  return join(defaultRelayDir(), "relay.json");
}

export function defaultRelayDbPath(): string {
  return join(defaultRelayDir(), "relay.db");
}

/** Write the file atomically with mode 0600: a temp file made 0600 from the start, then renamed over the target. */
export function writeRelayInfoFile(path: string, info: RelayInfo): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(RelayInfo.parse(info), null, 2)}\n`, { mode: 0o600, flag: "wx" });
  // The umask cannot widen 0600, but a pre-set umask of 0 with an odd fs could; make sure.
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** The relay info at `path` (default ~/.agent-relay/relay.json), or undefined when absent; a malformed file throws. */
export function readRelayInfoFile(path: string = defaultRelayInfoPath()): RelayInfo | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  const parsed = RelayInfo.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new Error(`${path} is not a valid relay info file: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}
