// The messaging CLI's --relay-url / AGENT_RELAY_URL as a failover list: accepted in order, bad items named.
import { describe, expect, test } from "bun:test";
import { checkRelayUrls, UsageError } from "../../src/cli/client-context.ts";

describe("the messaging CLI's relay URL list", () => {
  test("answers the URLs in order", () => {
    expect(checkRelayUrls("http://a:1,https://b:2")).toEqual(["http://a:1", "https://b:2"]);
    expect(checkRelayUrls("http://a:1")).toEqual(["http://a:1"]);
  });

  test("refuses a non-http item by name, and list-level mistakes", () => {
    expect(() => checkRelayUrls("http://a:1,ws://b:2")).toThrow(
      new UsageError('--relay-url / AGENT_RELAY_URL: must be http(s) (got "ws://b:2")'),
    );
    expect(() => checkRelayUrls("http://a:1,,http://b")).toThrow(/item 2 is empty/);
    expect(() => checkRelayUrls("nope")).toThrow(/not a URL \(got "nope"\)/);
  });
});
