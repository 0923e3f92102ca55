# Sourced by the plugin's launchers: sets $js to a JavaScript runtime (the runner's own Bun first,
# then bun or node on PATH). Claude Code 2.x is a native binary, so no runtime is guaranteed by it;
# the runner is a Bun program, so its Bun is normally there. Leaves $js empty when none is found.
js=""
if [ -n "$AGENT_RELAY_BIN" ]; then
  relay_root=$(dirname "$(dirname "$(readlink -f "$AGENT_RELAY_BIN" 2>/dev/null || echo "$AGENT_RELAY_BIN")")")
  if [ -x "$relay_root/node_modules/.bin/bun" ]; then js="$relay_root/node_modules/.bin/bun"; fi
fi
# The plugin ships inside the runner's package (plugins/claude), whose node_modules holds its Bun.
plugin_pkg=$(cd "$(dirname "$0")/../../.." 2>/dev/null && pwd)
if [ -z "$js" ] && [ -x "$plugin_pkg/node_modules/.bin/bun" ]; then js="$plugin_pkg/node_modules/.bin/bun"; fi
if [ -z "$js" ]; then js=$(command -v bun 2>/dev/null || command -v node 2>/dev/null || true); fi
