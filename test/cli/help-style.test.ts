// One style for help text: every command, argument and option description starts lower-case (an acronym such as
// JSON or SQLite excepted), ends without a full stop, and shows a default one way: "(default: …)".
import { expect, test } from "bun:test";
import type { Command } from "commander";
import { buildProgram } from "../../src/cli/main.ts";
import { renderHelp } from "../../src/config/help.ts";
import { RUNNER_OPTIONS } from "../../src/config/options.ts";

/** Every description help shows: [where, text]. */
async function allDescriptions(): Promise<[string, string][]> {
  const found: [string, string][] = RUNNER_OPTIONS.map((o) => [`runner ${o.flag}`, o.description]);
  const walk = (cmd: Command, path: string) => {
    for (const sub of cmd.commands) {
      const at = `${path}${sub.name()}`;
      found.push([at, sub.description()]);
      for (const o of sub.options) found.push([`${at} ${o.flags}`, o.description ?? ""]);
      for (const a of sub.registeredArguments) found.push([`${at} <${a.name()}>`, a.description]);
      walk(sub, `${at} `);
    }
  };
  walk(await buildProgram(), "");
  return found;
}

/** What breaks the style in one description, or undefined. */
function styleProblem(text: string): string | undefined {
  if (text.trim() === "") return "empty";
  if (/^[A-Z][a-z ]/.test(text)) return "starts with a capital";
  if (/\.\s*$/.test(text)) return "ends with a full stop";
  if (/[([,;] ?default(?!:)/.test(text)) return 'a default not written "(default: …)"';
  return undefined;
}

test("the style rule itself catches each kind of slip", () => {
  expect(styleProblem("Print the log")).toBe("starts with a capital");
  expect(styleProblem("print the log.")).toBe("ends with a full stop");
  expect(styleProblem("message kind (default chat)")).toBe('a default not written "(default: …)"');
  expect(styleProblem("address (env X, default 127.0.0.1)")).toBe('a default not written "(default: …)"');
  expect(styleProblem("JSON lines (default: off)")).toBeUndefined();
});

test("every command's help, and the runner's options, follow the one style", async () => {
  const descriptions = await allDescriptions();
  // Sanity: the walk reached the runner table and nested sub-commands.
  expect(descriptions.map(([at]) => at)).toContain("runner --detach");
  expect(descriptions.map(([at]) => at)).toContain("msg read <id>");
  const problems = descriptions.flatMap(([at, text]) => {
    const p = styleProblem(text);
    return p ? [`${at}: ${p}: ${JSON.stringify(text)}`] : [];
  });
  expect(problems).toEqual([]);
});

test("the runner's --help shows each default as (default: …)", () => {
  const help = renderHelp();
  expect(help).not.toContain("[default");
  expect(help).toContain("(default: info)");
});
