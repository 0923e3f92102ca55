#!/bin/sh
# Claude Code hook entry: forwards the hook's stdin JSON to the runner's control server (see relay-hook.mjs).
# Outside a runner (no control URL) or without a JS runtime it does nothing, so Claude is never blocked.
[ -n "$AGENT_RELAY_CONTROL_URL" ] || [ -n "$AGENT_RELAY_BIN" ] || exit 0
here=$(dirname "$0")
. "$here/../lib/find-js.sh"
[ -n "$js" ] || exit 0
exec "$js" "$here/relay-hook.mjs" "$@"
