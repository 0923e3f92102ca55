// Reads Claude Code's state from a pane capture: the fallback when hooks and the session file say nothing.
//
// Observed on 2.1.330 (shared/briefs/claude-code.md §5.1): the idle input line is `❯` + NBSP; the `❯` glyph alone
// also shows while busy and in every selection dialog, so dialogs are recognised first by their own texts.

export type ScreenState =
  /** A tool permission dialog: an Enter here APPROVES the tool, so no key may be sent. */
  | "permission"
  /** Any other selection dialog (folder trust, API key, onboarding…): unattended runs must never see one. */
  | "dialog"
  | "busy"
  | "ready"
  | "starting";

const PERMISSION = /Do you want to (?:proceed|make this edit|create|allow)|Esc to cancel · Tab to amend/;
const DIALOG =
  /Enter to confirm|Esc to cancel|trust this folder|Detected a custom API key|Press Enter to continue|Choose the text style|Select login method|No, exit/;
const SPINNER = /^\s*[·✢*✶✻✽✳] \S.*…/m;
const INPUT_LINE = /^❯\u00a0(.*)$/m;

export function classifyScreen(screen: string): ScreenState {
  if (PERMISSION.test(screen)) return "permission";
  if (DIALOG.test(screen)) return "dialog";
  if (SPINNER.test(screen) || /esc to interrupt/i.test(screen)) return "busy";
  if (INPUT_LINE.test(screen)) return "ready";
  return "starting";
}

/** What is typed in the input box but not sent (after an Esc, Claude puts the prompt text back), or "". */
export function pendingInput(screen: string): string {
  return INPUT_LINE.exec(screen)?.[1]?.trim() ?? "";
}

/** The screen without blank lines and box rules, short enough for a needs-input event. */
export function screenSummary(screen: string, maxChars = 4_000): string {
  const lines = screen.split("\n").filter((l) => l.trim() !== "" && !/^[─╌━\s]+$/.test(l));
  const text = lines.map((l) => l.trimEnd()).join("\n");
  return text.length > maxChars ? text.slice(-maxChars) : text;
}
