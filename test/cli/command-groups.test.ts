// main.ts loads a subcommand's module only when its name is on the command line: its table of names must match.
import { describe, expect, test } from "bun:test";
import { buildProgram, COMMAND_GROUPS } from "../../src/cli/main.ts";

describe("COMMAND_GROUPS", () => {
  test("names every command each group's module declares, and nothing else", async () => {
    for (const group of COMMAND_GROUPS) {
      const program = await buildProgram([group]);
      const declared = program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
      expect([...declared].sort()).toEqual([...group.names].sort());
    }
  });
});
