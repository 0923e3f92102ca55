// Forwards one Claude Code hook payload (stdin JSON) to the runner's control server, quietly and fast.
// Usage: relay-hook.mjs <HookEventName>. Runs on Bun or Node >= 18 (global fetch).
//
// Rules: never block Claude when the runner is gone — any failure exits 0 with no output — except
// PermissionRequest, which waits for the relay's decision and prints the hook output JSON the control
// server returns (and denies with a reason when no decision arrives in time).

import { refusal } from "./guard.mjs";

const event = process.argv[2] ?? "";
const base = process.env.AGENT_RELAY_CONTROL_URL ?? "";
const secret = process.env.AGENT_RELAY_CONTROL_SECRET ?? "";
const providerSession = process.env.AGENT_RELAY_PROVIDER_SESSION_ID ?? "";

// SessionEnd hooks are cut off by Claude after 1.5 s; everything else gets a short bound too. A permission
// request waits for a person: the control server answers (deny) at its own 5 min timeout, before ours.
const TIMEOUT_MS = { SessionEnd: 1_000, PermissionRequest: 320_000 };
const DEFAULT_TIMEOUT_MS = 3_000;

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

function denyPermission(message) {
  const out = {
    hookSpecificOutput: { hookEventName: "PermissionRequest", decision: { behavior: "deny", message } },
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** Print the control server's hook output only when it says something; `{}` would be noise for Claude. */
function printHookOutput(text) {
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    return;
  }
  if (parsed && typeof parsed === "object" && Object.keys(parsed).length > 0) {
    process.stdout.write(`${JSON.stringify(parsed)}\n`);
  }
}

// The relay CLI exactly as the skills write it, with literal (expansion-free) arguments only: `"$AGENT_RELAY_BIN"`
// is a variable, so Claude's permission rules cannot pre-approve it; this hook does, for these shapes alone.
const LITERAL = `(?:'[^']*'|"[^"$\`\\\\!]*")`;
const RELAY_CLI = new RegExp(
  `^"\\$AGENT_RELAY_BIN" (?:msg (?:reply|react|read) \\d+(?: ${LITERAL})?` +
    // A task report (see the report-task skill): at most a summary and a reason, each one literal.
    `|task (?:done|partial|fail) \\d+(?: --(?:summary|reason) ${LITERAL}){0,2})\\s*$`,
);

/** Pre-approve a Bash call that is nothing but the relay CLI; true when it printed the decision. */
function approveRelayCli(body) {
  let payload;
  try {
    payload = JSON.parse(body);
  } catch {
    return false;
  }
  const command = payload?.tool_name === "Bash" ? payload?.tool_input?.command : undefined;
  if (typeof command !== "string" || !RELAY_CLI.test(command)) return false;
  const out = {
    hookSpecificOutput: {
      hookEventName: "PreToolUse",
      permissionDecision: "allow",
      permissionDecisionReason: "agent-relay CLI",
    },
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  return true;
}

/** Refuse a destructive Bash command (see guard.mjs); true when it printed the decision. */
function guardDestructive(body) {
  let payload;
  try {
    payload = JSON.parse(body);
  } catch {
    return false;
  }
  if (payload?.tool_name !== "Bash") return false;
  const reason = refusal(payload?.tool_input?.command, payload?.cwd || process.cwd());
  if (!reason) return false;
  const out = {
    hookSpecificOutput: {
      hookEventName: "PreToolUse",
      permissionDecision: "deny",
      permissionDecisionReason: reason,
    },
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  return true;
}

async function main() {
  if (!/^[A-Za-z]+$/.test(event)) return;
  const body = await readStdin();
  const approved = event === "PreToolUse" && (guardDestructive(body) || approveRelayCli(body));
  if (!base) return;
  const timeoutMs = TIMEOUT_MS[event] ?? DEFAULT_TIMEOUT_MS;
  let res;
  try {
    res = await fetch(`${base}/v1/hooks/${event}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-agent-relay-secret": secret,
        ...(providerSession ? { "x-agent-relay-provider-session": providerSession } : {}),
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    // A timed-out permission wait means nobody decided: deny with a reason instead of leaving a dialog open.
    if (event === "PermissionRequest" && e?.name === "TimeoutError") {
      denyPermission(`No decision from the agent relay within ${Math.round(timeoutMs / 1000)} s.`);
    }
    return;
  }
  const text = await res.text().catch(() => "");
  if (res.ok && !approved) printHookOutput(text);
}

// A permission wait can outlive Claude (killed mid-dialog): leave as soon as we are orphaned.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 1_000).unref();

main()
  .catch(() => {})
  .finally(() => process.exit(0));
