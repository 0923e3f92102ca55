#!/bin/sh
# Claude Code statusLine command: hands the status JSON (the session's running cost) to the runner's control server
# and prints nothing, so the status line stays empty. Quiet and quick when the runner is gone; needs curl (without
# it the agent's cost is unknown, its tokens still counted from the transcript).
if [ -z "$AGENT_RELAY_CONTROL_URL" ] || ! command -v curl >/dev/null 2>&1; then
  cat >/dev/null
  exit 0
fi
session_header=""
[ -n "$AGENT_RELAY_PROVIDER_SESSION_ID" ] &&
  session_header="x-agent-relay-provider-session: $AGENT_RELAY_PROVIDER_SESSION_ID"
# Headers come from fd 3 so the secret never appears on argv (readable by every user through ps).
curl -s -o /dev/null -m 2 --connect-timeout 1 -X POST \
  -H 'content-type: application/json' -H @/dev/fd/3 --data-binary @- \
  "$AGENT_RELAY_CONTROL_URL/v1/status-line" 3<<HEADERS
x-agent-relay-secret: $AGENT_RELAY_CONTROL_SECRET
$session_header
HEADERS
exit 0
