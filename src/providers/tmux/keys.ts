// The named keys the runner may send to a pane: an allow-list, so send-keys can never type arbitrary text.
import { RunnerError } from "../../util/errors.ts";

const NAMED_KEYS = [
  "Enter",
  "Escape",
  "Tab",
  "BTab",
  "BSpace",
  "Space",
  "Up",
  "Down",
  "Left",
  "Right",
  "Home",
  "End",
  "PageUp",
  "PageDown",
] as const;

type Letter =
  | "a"
  | "b"
  | "c"
  | "d"
  | "e"
  | "f"
  | "g"
  | "h"
  | "i"
  | "j"
  | "k"
  | "l"
  | "m"
  | "n"
  | "o"
  | "p"
  | "q"
  | "r"
  | "s"
  | "t"
  | "u"
  | "v"
  | "w"
  | "x"
  | "y"
  | "z";

/** A key tmux knows by name: Enter, Escape, arrows…, or Ctrl plus a letter ("C-c"). */
export type TmuxKey = (typeof NAMED_KEYS)[number] | `C-${Letter}`;

const ALLOWED = new Set<string>(NAMED_KEYS);

export function isTmuxKey(key: string): key is TmuxKey {
  return ALLOWED.has(key) || /^C-[a-z]$/.test(key);
}

/** Throw unless every key is on the allow-list (callers may pass values that only claim to be keys). */
export function validateTmuxKeys(keys: readonly string[]): asserts keys is TmuxKey[] {
  for (const key of keys) {
    if (!isTmuxKey(key)) {
      throw new RunnerError(
        "TMUX_FAILED",
        `send-keys refused ${JSON.stringify(key)}: only named keys are allowed`,
      );
    }
  }
}
