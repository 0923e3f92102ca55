// The demo agent's reading of pasted relay messages, and what it answers: an echo, or a permission request first.
import { describe, expect, test } from "bun:test";
import { actionFor, decisionReply, parsePastedMessages } from "../../src/demo/demo-messages.ts";

describe("parsePastedMessages", () => {
  test("one pasted message gives its id, sender, subject and body", () => {
    expect(parsePastedMessages("[relay message #7 from alice] hi there\nline one\nline two")).toEqual([
      { id: 7, from: "alice", subject: "hi there", body: "line one\nline two" },
    ]);
  });

  test("several messages delivered together split at each header line, in order", () => {
    const text = "[relay message #1 from alice]\nfirst\n\n[relay message #2 from bob]\nsecond";
    expect(parsePastedMessages(text)).toEqual([
      { id: 1, from: "alice", body: "first" },
      { id: 2, from: "bob", body: "second" },
    ]);
  });

  test("keys typed before the paste do not hide the message", () => {
    expect(parsePastedMessages("\0\0oops[relay message #3 from alice]\nhi")).toEqual([
      { id: 3, from: "alice", body: "hi" },
    ]);
  });

  test("text typed by a person (no header line) is not a relay message", () => {
    expect(parsePastedMessages("just typing here")).toEqual([]);
  });
});

describe("actionFor", () => {
  test("an ordinary message gets an echo reply", () => {
    expect(actionFor({ id: 1, from: "alice", body: "hello" })).toEqual({
      kind: "reply",
      text: "demo-agent got your message: hello",
    });
  });

  test('"please run …" asks for permission to run the rest, whatever the case', () => {
    expect(actionFor({ id: 1, from: "alice", body: "Please run  make test\n" })).toEqual({
      kind: "ask",
      command: "make test",
    });
  });
});

describe("decisionReply", () => {
  test("an approval says what it would run and that it runs nothing", () => {
    expect(decisionReply("make test", "approve")).toBe(
      "permission approved: I would now run `make test` (the demo agent runs nothing)",
    );
    expect(decisionReply("make test", "approve-session")).toContain("permission approved");
  });

  test("a denial or a dropped request says it will not run it", () => {
    expect(decisionReply("rm -rf x", "deny")).toBe("permission denied: I will not run `rm -rf x`");
    expect(decisionReply("rm -rf x", "abort")).toBe(
      "permission not given (abort): I will not run `rm -rf x`",
    );
  });
});
