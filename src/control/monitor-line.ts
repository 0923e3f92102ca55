// Turns a delivery line into what a Claude Code monitor may print: one line, no controls, at most 500 characters.
import { sanitizeForPaste } from "../providers/tmux/sanitize.ts";

/** Claude Code truncates a monitor's stdout line at 500 characters; we cut first so the cut is ours. */
export const MAX_MONITOR_LINE = 500;

// After sanitizeForPaste only \n and \t remain as controls; line and paragraph separators also break lines
// in some readers, so all of them become one space.
const BREAKS = /[\n\t\u2028\u2029\u0085]+/g;

/** One printable line: escape sequences and controls removed or made visible, breaks folded, capped at `max`. */
export function toMonitorLine(text: string, max = MAX_MONITOR_LINE): string {
  const flat = sanitizeForPaste(text).replace(BREAKS, " ").replace(/ {2,}/g, " ").trim();
  if (flat.length <= max) return flat;
  let cut = max - 1;
  // Never split a surrogate pair: a lone high surrogate is not valid text.
  const code = flat.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return `${flat.slice(0, cut)}…`;
}
