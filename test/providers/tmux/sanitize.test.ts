import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { FORBIDDEN_IN_PASTE, sanitizeForPaste } from "../../../src/providers/tmux/sanitize.ts";

// Characters a hostile message would use: controls, ESC pieces, C1, bidi overrides, and sequence bodies.
const hostileChar = fc.oneof(
  fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0x7f, max: 0x9f }).map((c) => String.fromCharCode(c)),
  fc.constantFrom(
    "\x1b[",
    "\x1b]",
    "\x1bP",
    "\x1b\\",
    "[201~",
    "[200~",
    "\u202e",
    "\u2066",
    "\u2069",
    "\r\n",
  ),
  fc.string({ maxLength: 3 }),
);
const hostileText = fc.array(hostileChar, { maxLength: 60 }).map((parts) => parts.join(""));

// Printable text: everything outside the forbidden set, plus newline and tab.
const safeChar = fc
  .oneof(fc.string({ unit: "grapheme", maxLength: 1 }), fc.constantFrom("\n", "\t", " ", "❯", "é", "日本"))
  .filter((s) => !FORBIDDEN_IN_PASTE.test(s));

describe("sanitizeForPaste", () => {
  test("output never contains a control, escape, C1 or bidi-override character", () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        expect(FORBIDDEN_IN_PASTE.test(sanitizeForPaste(text))).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  test("printable text with newlines and tabs passes through unchanged", () => {
    fc.assert(
      fc.property(fc.array(safeChar, { maxLength: 80 }), (chars) => {
        const text = chars.join("");
        expect(sanitizeForPaste(text)).toBe(text);
      }),
      { numRuns: 1000 },
    );
  });

  test("sanitising twice gives the same text as sanitising once", () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const once = sanitizeForPaste(text);
        expect(sanitizeForPaste(once)).toBe(once);
      }),
      { numRuns: 1000 },
    );
  });

  test("complete escape sequences are removed whole and their readable neighbours kept", () => {
    expect(sanitizeForPaste("\x1b[31mRED\x1b[0m")).toBe("RED");
    expect(sanitizeForPaste("a\x1b[2Jb")).toBe("ab");
    expect(sanitizeForPaste("\x1b]0;evil title\x07after")).toBe("after");
    expect(sanitizeForPaste("\x1b]8;;http://x\x1b\\link")).toBe("link");
    expect(sanitizeForPaste("\x1bPq#0;2;0;0;0\x1b\\x")).toBe("x");
    expect(sanitizeForPaste("\x9b201~tail")).toBe("tail");
    expect(sanitizeForPaste("\x1b(Bplain\x1bc")).toBe("plain");
  });

  test("the bracketed-paste end marker cannot survive in any form", () => {
    const out = sanitizeForPaste("before\x1b[201~; touch /tmp/pwned\rafter\x1b\x1b[201~\x9b201~");
    expect(out).toBe("before; touch /tmp/pwned\nafter␛");
    expect(out.includes("\x1b")).toBe(false);
  });

  test("carriage returns become newlines and other C0 controls become visible pictures", () => {
    expect(sanitizeForPaste("a\r\nb\rc")).toBe("a\nb\nc");
    expect(sanitizeForPaste("nul\x00bel\x07ctrl-c\x03del\x7f")).toBe("nul␀bel␇ctrl-c␃del␡");
    expect(sanitizeForPaste("tab\there\nnext")).toBe("tab\there\nnext");
  });

  test("an unterminated OSC string keeps the text after it (only its ESC turns visible)", () => {
    expect(sanitizeForPaste("\x1b]0;no end\nreal body")).toBe("␛]0;no end\nreal body");
  });

  test("C1 controls and bidi overrides are dropped", () => {
    expect(sanitizeForPaste("a\x85b\x9fc")).toBe("abc");
    expect(sanitizeForPaste("access\u202e\u2066level\u2069")).toBe("accesslevel");
  });

  test("a 1 MB hostile body is sanitised completely", () => {
    const unit = "line of text \x1b[31m\x00\x9b2J\u202e\r\n";
    const big = unit.repeat(Math.ceil(1_048_576 / unit.length));
    const out = sanitizeForPaste(big);
    expect(FORBIDDEN_IN_PASTE.test(out)).toBe(false);
    expect(out.split("\n").length - 1).toBe(big.split("\r\n").length - 1);
    expect(out.startsWith("line of text ␀\nline of text ␀\n")).toBe(true);
  });
});
