// The fleet view's page: two small HTML shells, three scripts and a stylesheet; no build step, no UI library.
// Everything that varies is filled in by the script from the event stream with textContent, never as HTML.
import appCss from "./page/app.css" with { type: "text" };
// The browser script is kept as .js.txt so the TypeScript build leaves it alone; it is plain modern JS.
import appJs from "./page/app.js.txt" with { type: "text" };
import boardJs from "./page/board.js.txt" with { type: "text" };
import timelineJs from "./page/timeline.js.txt" with { type: "text" };

export const STATIC_FILES: Record<string, { body: string; type: string }> = {
  "/app.js": { body: appJs, type: "text/javascript; charset=utf-8" },
  "/board.js": { body: boardJs, type: "text/javascript; charset=utf-8" },
  "/timeline.js": { body: timelineJs, type: "text/javascript; charset=utf-8" },
  "/app.css": { body: appCss, type: "text/css; charset=utf-8" },
};

export function signInPage(error?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Agent relay: sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<h1>Agent relay fleet view</h1>
<form method="post" action="/signin">
<p><label>Root or operator token <input type="password" name="token" id="token" autocomplete="off" required></label></p>
<p><button type="submit" id="signin">Sign in</button></p>
</form>
${error ? `<p id="signin-error" role="alert">${Bun.escapeHTML(error)}</p>` : ""}
<p>An operator token comes from <code>agent-relay-runner token create --name &lt;you&gt;</code> (root only).</p>
</body></html>`;
}

export function appPage(name: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Agent relay fleet</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/app.css"><script src="/board.js" defer></script><script src="/timeline.js" defer></script><script src="/app.js" defer></script></head>
<body>
<header><h1>Fleet</h1><span id="live" class="live">connecting…</span>
<span class="who">signed in as <b>${Bun.escapeHTML(name)}</b></span>
<form method="post" action="/signout"><button type="submit" id="signout">Sign out</button></form></header>
<main>
<section id="agents-pane"><h2>Agents</h2>
<table id="agents"><thead><tr><th>agent</th><th>label</th><th>provider</th><th>model</th><th>status</th><th>task</th>
<th>context</th><th>tokens</th><th>cost</th><th>restarts</th><th>last seen</th><th>attach</th></tr></thead><tbody></tbody></table></section>
<section id="agent-pane" hidden><h2 id="agent-title"></h2>
<p id="agent-status"></p>
<div id="permissions"></div>
<p class="actions"><button data-action="agent.restart">Restart</button> <button data-action="agent.compact">Compact</button>
<button data-action="agent.clearContext">Clear</button> <button data-action="agent.shutdown">Shut down</button></p>
<p class="actions">Team (<code>up</code>): <button data-team="supervisor.restart">Restart its runner</button>
<button data-team="supervisor.stop">Stop its runner</button></p>
<form id="send-form"><input id="send-body" placeholder="Message to this agent" autocomplete="off" required>
<button type="submit">Send</button></form>
<p id="action-result" role="status"></p>
<h3>Recent messages</h3><ol id="agent-messages"></ol>
<h3>Timeline <small>(since this page opened)</small></h3><ol id="agent-timeline" class="timeline"></ol></section>
<section id="tasks-pane"><h2>Tasks</h2><div id="board">
<div class="lane"><h3>Open</h3><ol data-lane="open"></ol></div>
<div class="lane"><h3>In progress</h3><ol data-lane="in_progress"></ol></div>
<div class="lane"><h3>Done</h3><ol data-lane="done"></ol></div>
<div class="lane"><h3>Failed or cancelled</h3><ol data-lane="failed"></ol></div></div></section>
<section id="threads-pane"><h2>Messages</h2><ol id="threads"></ol></section>
</main></body></html>`;
}
