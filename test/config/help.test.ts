import { describe, expect, test } from "bun:test";
import { flagLabel, RUNNER_OPTIONS, renderHelp } from "../../src/config/index.ts";

describe("renderHelp", () => {
  const help = renderHelp();
  const lines = help.split("\n");

  test("every option appears with its env name right under it", () => {
    for (const spec of RUNNER_OPTIONS) {
      const at = lines.findIndex(
        (l) => l.trimStart().startsWith(`${flagLabel(spec)}`) && l.startsWith("  --"),
      );
      expect(at, `${spec.flag} missing from help`).toBeGreaterThan(-1);
      expect(lines[at + 1]).toBe(`      env ${spec.env}`);
    }
  });

  test("the options the issue names are all there by their usual spelling", () => {
    for (const flag of [
      "--no-exit-on-shutdown",
      "--tag",
      "--capability",
      "--provider-bin",
      "--ready-pattern",
      "--quiet-ms",
    ]) {
      expect(help).toContain(`  ${flag}`);
    }
  });

  test("defaults and choices are shown", () => {
    expect(help).toContain("--approval-mode <default|auto|read-only|full>");
    expect(help).toContain("(default: default)");
    expect(help).toContain("(default: start the embedded relay in-process)");
    expect(help).toContain("-h, --help");
    expect(help).toContain("-V, --version");
  });

  test("no line is wider than a terminal comfortably shows", () => {
    expect(lines.filter((l) => l.length > 160)).toEqual([]);
  });
});
