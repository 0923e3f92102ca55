// turn/steer's request and how its answer is read: taken, refused (the turn is gone), or unknown (no answer).
import { describe, expect, test } from "bun:test";
import { RpcError } from "../../../src/providers/codex/rpc.ts";
import { steerTurn } from "../../../src/providers/codex/steer.ts";
import { RunnerError } from "../../../src/util/errors.ts";

const request = { threadId: "th-1", turnId: "turn-1", text: "stop", clientId: "relay-abc" };

/** An rpc whose one request answers with `answer` (a value, or a thrown error), recording what was sent. */
function rpcAnswering(answer: unknown) {
  const sent: { method: string; params: unknown }[] = [];
  const rpc = {
    request: async (method: string, params: unknown) => {
      sent.push({ method, params });
      if (answer instanceof Error) throw answer;
      return answer;
    },
  } as never;
  return { rpc, sent };
}

describe("steerTurn", () => {
  test("sends the text against the expected turn id, with the client id Codex echoes", async () => {
    const { rpc, sent } = rpcAnswering({ turnId: "turn-1" });
    expect(await steerTurn(rpc, request, AbortSignal.timeout(1_000))).toBe("steered");
    expect(sent).toEqual([
      {
        method: "turn/steer",
        params: {
          threadId: "th-1",
          expectedTurnId: "turn-1",
          clientUserMessageId: "relay-abc",
          input: [{ type: "text", text: "stop" }],
        },
      },
    ]);
  });

  test("an error answer is a refusal: nothing was taken", async () => {
    const refusal = new RpcError("turn/steer", -32600, "no active turn to steer");
    expect(await steerTurn(rpcAnswering(refusal).rpc, request, AbortSignal.timeout(1_000))).toBe("refused");
  });

  test("no answer in time may have landed; a closed socket throws", async () => {
    const timeout = new RunnerError("TIMEOUT", "turn/steer got no answer in 15000 ms");
    expect(await steerTurn(rpcAnswering(timeout).rpc, request, AbortSignal.timeout(1_000))).toBe(
      "unanswered",
    );
    const closed = new RunnerError("PROVIDER_EXITED", "turn/steer: socket closed (1006)");
    await expect(steerTurn(rpcAnswering(closed).rpc, request, AbortSignal.timeout(1_000))).rejects.toBe(
      closed,
    );
  });
});
