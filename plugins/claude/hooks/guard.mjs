// A PreToolUse guard: refuses Bash commands an unattended agent must never run — a force push to the main
// branch, or a recursive delete reaching outside the working tree. Plain JS (Bun or Node), no dependencies.
import { isAbsolute, relative, resolve } from "node:path";

const PROTECTED_BRANCHES = /(?:^|[\s:+/])(main|master)(?:$|\s)/;
const FORCE = /(?:^|\s)(?:--force(?:-with-lease)?(?:=\S*)?|-[a-zA-Z]*f[a-zA-Z]*)(?:\s|$)/;

/** Split a shell command into simple commands (on ; && || | and newlines) and words; quotes kept simple. */
function simpleCommands(command) {
  return command
    .split(/\n|;|&&|\|\||\|/)
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => (part.match(/'[^']*'|"[^"]*"|\S+/g) ?? []).map((w) => w.replace(/^['"]|['"]$/g, "")));
}

function isForcePushToMain(words) {
  const git = words.indexOf("git");
  if (git < 0 || words[git + 1] !== "push") return false;
  const rest = ` ${words.slice(git + 2).join(" ")} `;
  const forced = FORCE.test(rest) || /\s\+\S+/.test(rest);
  return forced && PROTECTED_BRANCHES.test(rest);
}

function recursiveDeleteTargets(words) {
  const rm = words.indexOf("rm");
  if (rm < 0) return [];
  const args = words.slice(rm + 1);
  const flags = args.filter((a) => a.startsWith("-"));
  const recursive = flags.some((f) => f === "--recursive" || (/^-[a-zA-Z]+$/.test(f) && /[rR]/.test(f)));
  return recursive ? args.filter((a) => !a.startsWith("-")) : [];
}

function outsideTree(target, cwd) {
  if (target === "~" || target.startsWith("~/") || target.startsWith("$") || target.includes("`"))
    return true;
  const full = resolve(cwd, target.replace(/\*+$/, ""));
  const rel = relative(cwd, full);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel);
}

/** The reason to refuse `command` run in `cwd`, or undefined when it may run. */
export function refusal(command, cwd) {
  if (typeof command !== "string") return undefined;
  for (const words of simpleCommands(command)) {
    if (isForcePushToMain(words)) return "force-pushing the main branch is not allowed for a relay agent";
    const outside = recursiveDeleteTargets(words).filter((t) => outsideTree(t, cwd));
    if (outside.length > 0) {
      return `recursive delete outside the working tree (${outside.join(", ")}) is not allowed for a relay agent`;
    }
  }
  return undefined;
}
