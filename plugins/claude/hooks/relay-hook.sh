#!/bin/sh
# Claude Code hook entry: forwards the hook's stdin JSON to the runner's control server, quietly, never blocking
# Claude when the runner is gone. Hooks run synchronously (UserPromptSubmit delays the model request), so plain
# status events take the fast path — curl, ~15 ms — when curl exists; events whose answer matters (tool approval,
# permission decisions) and machines without curl use relay-hook.mjs on Bun/Node (~50–100 ms to start).
[ -n "$AGENT_RELAY_CONTROL_URL" ] || [ -n "$AGENT_RELAY_BIN" ] || exit 0
here=$(dirname "$0")
event="$1"
case "$event" in
  PreToolUse | PermissionRequest) ;;
  *)
    if [ -n "$AGENT_RELAY_CONTROL_URL" ] && command -v curl >/dev/null 2>&1; then
      limit=3
      [ "$event" = SessionEnd ] && limit=1
      # SessionStart's answer is printed: after a compaction it is the runner's note (JSON additionalContext);
      # -f keeps an error body from ever reaching Claude.
      out=/dev/null
      [ "$event" = SessionStart ] && out=-
      session_header=""
      [ -n "$AGENT_RELAY_PROVIDER_SESSION_ID" ] &&
        session_header="x-agent-relay-provider-session: $AGENT_RELAY_PROVIDER_SESSION_ID"
      # Headers come from fd 3 so the secret never appears on argv (readable by every user through ps).
      curl -s -f -o "$out" -m "$limit" --connect-timeout 1 -X POST \
        -H 'content-type: application/json' -H @/dev/fd/3 --data-binary @- \
        "$AGENT_RELAY_CONTROL_URL/v1/hooks/$event" 3<<HEADERS
x-agent-relay-secret: $AGENT_RELAY_CONTROL_SECRET
$session_header
HEADERS
      exit 0
    fi
    ;;
esac
. "$here/../lib/find-js.sh"
[ -n "$js" ] || exit 0
exec "$js" "$here/relay-hook.mjs" "$@"
