// A team file's `[relay] url` as a failover list: checked like --relay-url, handed whole to every runner.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import pino from "pino";
import { httpUrls, RelayAccess } from "../../src/supervisor/relay-access.ts";
import { parseTeamText, TeamFileError } from "../../src/supervisor/team-file.ts";
import { deadUrl } from "../support/dead-url.ts";
import { startTestRelay, type TestRelay } from "../support/relay.ts";

const AGENT = '[agents.a]\nprovider = "command"\ncommand = ["x"]\n';

let relay: TestRelay;
beforeAll(async () => {
  relay = await startTestRelay();
});
afterAll(async () => {
  await relay.close();
});

describe("[relay] url with several relays", () => {
  test("a comma-separated list is accepted as given", () => {
    const team = parseTeamText(`[relay]\nurl = "http://a:8787,http://b:8787"\n${AGENT}`, "t.toml");
    expect(team.relay?.url).toBe("http://a:8787,http://b:8787");
  });

  test("a bad item is named", () => {
    let message = "";
    try {
      parseTeamText(`[relay]\nurl = "http://a:8787,ftp://b"\n${AGENT}`, "t.toml");
    } catch (e) {
      expect(e).toBeInstanceOf(TeamFileError);
      message = (e as Error).message;
    }
    expect(message).toBe(
      't.toml: [relay] url: expected an http(s):// or ws(s):// URL for every item, "ftp://b" is not',
    );
  });

  test("httpUrls splits the list and names ws:// relays by their http:// URL", () => {
    expect(httpUrls("ws://a:1, https://b:2")).toEqual(["http://a:1", "https://b:2"]);
    expect(httpUrls("wss://a:1")).toEqual(["https://a:1"]);
  });

  test("the supervisor resolves the list past a relay that is down, and each runner gets the whole list", async () => {
    const urls = `${deadUrl()},${relay.url}`;
    const access = await RelayAccess.open(urls, relay.rootToken, pino({ level: "silent" }));
    expect(access.url).toBe(urls);
    const a = await access.forAgent("team-failover-1");
    expect(a.url).toBe(urls);
    expect(a.token).not.toBe(relay.rootToken);
  });
});
