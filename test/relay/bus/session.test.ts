// A bus session gets each command once: the hub pushes through firstPush from both the pending read after a hello and
// the push at a command's creation (here or through another relay), which can race.
import { describe, expect, test } from "bun:test";
import { firstPush, newSocketData } from "../../../src/relay/bus/session.ts";

describe("firstPush", () => {
  test("true the first time a command id goes to a session, false after; another session is apart", () => {
    const a = newSocketData("s-a");
    const b = newSocketData("s-b");
    expect(firstPush(a, "c1")).toBe(true);
    expect(firstPush(a, "c1")).toBe(false);
    expect(firstPush(a, "c2")).toBe(true);
    expect(firstPush(b, "c1")).toBe(true);
  });

  test("only the latest 256 ids are kept: an id older than that would go again", () => {
    const s = newSocketData("s");
    for (let i = 0; i < 257; i++) firstPush(s, `c${i}`);
    expect(firstPush(s, "c256")).toBe(false);
    expect(firstPush(s, "c0")).toBe(true);
  });
});
