#!/bin/sh
# Claude Code plugin monitor entry: streams relay deliveries from the runner as one line each (see relay-monitor.mjs).
[ -n "$AGENT_RELAY_CONTROL_URL" ] || exit 0
here=$(dirname "$0")
. "$here/../lib/find-js.sh"
[ -n "$js" ] || exit 0
exec "$js" "$here/relay-monitor.mjs"
