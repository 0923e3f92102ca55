// Makes untrusted text inert before it is pasted into a terminal: no byte of it can act as a key or escape sequence.
//
// What happens to each kind of character (one regex, one pass, so 1 MB takes milliseconds):
// - Complete escape sequences — CSI (`ESC [ … final`), OSC/DCS/SOS/PM/APC strings (`ESC ] … BEL|ST`), two- and
//   three-byte ESC sequences, and their 8-bit C1 forms (U+009B CSI, U+009D OSC…) — are removed whole: they carry
//   colours, titles and cursor moves, never readable text. This includes the bracketed-paste end marker `ESC[201~`.
// - Anything left of a broken sequence keeps its printable part; the lone ESC becomes the visible "␛" (U+241B).
// - `\r\n` and a lone `\r` become `\n`; `\n` and `\t` stay.
// - Every other C0 control and DEL becomes its Unicode Control Picture (NUL → "␀", BEL → "␇", DEL → "␡"), so the
//   reader still sees that something was there; C1 controls (U+0080–U+009F) have no pictures and are dropped.
// - Bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) are dropped, so text cannot be made to
//   read differently from what it is ("Trojan Source").
// After this, the output contains no ESC at all, so a leftover `[201~` is plain text that cannot end a paste.

const CSI = String.raw`(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]`;
// String sequences end at BEL or ST; an unterminated one is not removed (its ESC turns visible below) so a hostile
// sender cannot swallow the text that follows it. The body is bounded to keep the scan linear.
const STRING_SEQ = String.raw`(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]{0,4096}(?:\x07|\x1b\\|\x9c)`;
// ESC, optional intermediates (e.g. `ESC ( B` charset selection), then one final byte: `ESC c`, `ESC 7`, Meta-x.
// The introducers of CSI and string sequences (`[ ] P X ^ _`) are left out: incomplete ones must stay visible.
const SHORT_ESC = String.raw`\x1b[\x20-\x2f]*[\x30-\x4f\x51-\x57\x59-\x5a\x5c\x60-\x7e]`;
const LINE_BREAK = String.raw`\r\n?`;
const SINGLE = String.raw`[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]`;

const UNSAFE = new RegExp(`${CSI}|${STRING_SEQ}|${SHORT_ESC}|${LINE_BREAK}|${SINGLE}`, "g");

/** Every character that must never reach a terminal from pasted text (what `sanitizeForPaste` guarantees absent). */
export const FORBIDDEN_IN_PASTE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

function replace(match: string): string {
  if (match.length > 1) return match[0] === "\r" ? "\n" : "";
  const code = match.charCodeAt(0);
  if (code === 0x0d) return "\n";
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return "\u2421";
  return "";
}

/** Return `text` with every control and escape sequence except `\n` and `\t` removed or made visible (see above). */
export function sanitizeForPaste(text: string): string {
  return text.replace(UNSAFE, replace);
}
