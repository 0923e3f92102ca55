import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { failureDigests } from "../../scripts/run-tests.ts";

describe("scripts/run-tests.ts", () => {
  test("the summary names each failing test with its error, taken from what bun test printed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "run-tests-"));
    try {
      const file = join(dir, "sample.test.ts");
      writeFileSync(
        file,
        [
          'import { expect, test } from "bun:test";',
          'test("fails loudly", () => expect("left-value").toBe("right-value"));',
          'test("passes", () => expect(1).toBe(1));',
          'test("passes again", () => expect(2).toBe(2));',
        ].join("\n"),
      );
      const proc = Bun.spawn([process.execPath, "test", file], { cwd: dir, stdout: "pipe", stderr: "pipe" });
      const text = (await new Response(proc.stdout).text()) + (await new Response(proc.stderr).text());
      expect(await proc.exited).not.toBe(0);
      const digests = failureDigests(text);
      expect(digests).toHaveLength(1);
      expect(digests[0]).toContain("(fail) fails loudly");
      expect(digests[0]).toContain("right-value");
      expect(digests[0]).not.toContain("passes");
      // Not bun's banner or the file's name, which come first in its output.
      expect(digests[0]).not.toMatch(/bun test v|sample\.test\.ts/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
