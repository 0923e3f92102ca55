import { describe, expect, test } from "bun:test";
import { AgentId } from "../../src/protocol/index.ts";

describe("AgentId", () => {
  test("ids made only of dots are refused: they would name the folder itself or its parent in paths", () => {
    for (const id of [".", "..", "..."]) expect(AgentId.safeParse(id).success).toBe(false);
    for (const id of ["a.b", ".hidden", "v1..2", "coder-1"]) expect(AgentId.safeParse(id).success).toBe(true);
  });
});
