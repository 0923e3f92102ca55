import { describe, expect, test } from "bun:test";
import { describeTooDeep, findTooDeep } from "../../src/util/json-depth.ts";

const nested = (depth: number): unknown => JSON.parse("[".repeat(depth) + "]".repeat(depth));

describe("findTooDeep", () => {
  test("64 levels are allowed, 65 are reported with the path to the 65th", () => {
    expect(findTooDeep(nested(64), 64)).toBeUndefined();
    expect(findTooDeep(nested(65), 64)).toEqual({ path: Array(64).fill(0), depth: 65 });
  });

  test("names object keys and array indexes on the way down, after shallow siblings", () => {
    const value = { a: [1, { b: "x" }], c: [[], { d: nested(3) }] };
    expect(findTooDeep(value, 4)).toEqual({ path: ["c", 1, "d", 0], depth: 5 });
    expect(describeTooDeep("", findTooDeep(value, 4)!, 4)).toBe(
      "c.1.d.0: JSON nested more than 4 levels deep",
    );
  });

  test("a 200,000-deep array does not overflow the stack, and 200,000 shallow ones pass", () => {
    const text = "[".repeat(200_000) + "]".repeat(200_000);
    const found = findTooDeep(JSON.parse(text), 64, text)!;
    expect(found.depth).toBe(65);
    expect(describeTooDeep("body", found, 64)).toBe(
      "body.0.0.0.0.0.0.0.0…: JSON nested more than 64 levels deep",
    );
    const wide = `[${Array(200_000).fill("[1]").join(",")}]`;
    expect(findTooDeep(JSON.parse(wide), 64, wide)).toBeUndefined();
  });

  test("scalars and shallow text skip the walk", () => {
    expect(findTooDeep("[[[[", 2)).toBeUndefined();
    expect(findTooDeep(42, 1)).toBeUndefined();
    // The text has too few brackets to be deep, so the value is not walked at all.
    expect(findTooDeep(nested(10), 2, "[]")).toBeUndefined();
  });
});
