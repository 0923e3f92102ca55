// --relay-url / AGENT_RELAY_URL as a failover list: what the runner config accepts and refuses.
import { describe, expect, test } from "bun:test";
import { ConfigError, parseRelayUrlList, parseRunnerConfig, relayUrlsOf } from "../../src/config/index.ts";

const deps = { hostname: () => "box", randomId: () => "abc123" };
const base = ["--provider", "codex"];

function configError(argv: string[], env: Record<string, string> = {}): string {
  try {
    parseRunnerConfig([...base, ...argv], env, deps);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("the runner's relay URL list", () => {
  test("one URL is kept exactly as given", () => {
    const c = parseRunnerConfig([...base, "--relay-url", "https://relay.example/"], {}, deps);
    expect(c.relayUrl).toBe("https://relay.example/");
    expect(relayUrlsOf(c.relayUrl as string)).toEqual(["https://relay.example/"]);
  });

  test("several comma-separated URLs, from the flag or the env, are the failover order, the first preferred", () => {
    const flag = parseRunnerConfig([...base, "--relay-url", "http://a:8787, http://b:8787"], {}, deps);
    expect(relayUrlsOf(flag.relayUrl as string)).toEqual(["http://a:8787", "http://b:8787"]);
    const env = parseRunnerConfig(base, { AGENT_RELAY_URL: "https://a,https://b,https://c" }, deps);
    expect(relayUrlsOf(env.relayUrl as string)).toEqual(["https://a", "https://b", "https://c"]);
  });

  test("a bad item is named in the error, with the option, its env twin and the whole value", () => {
    expect(configError(["--relay-url", "http://a:8787,ftp://b"])).toBe(
      '--relay-url (AGENT_RELAY_URL): expected an http(s):// or ws(s):// URL for every item, "ftp://b" is not, got "http://a:8787,ftp://b"',
    );
    expect(configError([], { AGENT_RELAY_URL: "http://a,not a url" })).toContain('"not a url" is not');
  });

  test("an empty item and a URL listed twice are refused", () => {
    expect(configError(["--relay-url", "http://a,,http://b"])).toContain("item 2 is empty");
    expect(configError(["--relay-url", "http://a,"])).toContain("item 2 is empty");
    expect(configError(["--relay-url", "http://a, http://a"])).toContain('"http://a" is listed twice');
  });

  test("a single bad URL keeps today's message", () => {
    expect(configError(["--relay-url", "ftp://x"])).toBe(
      '--relay-url (AGENT_RELAY_URL): expected an http(s):// or ws(s):// URL, got "ftp://x"',
    );
  });

  test("parseRelayUrlList answers instead of throwing; relayUrlsOf throws on a list that never passed it", () => {
    expect(parseRelayUrlList("http://a,http://b")).toEqual({ ok: true, urls: ["http://a", "http://b"] });
    expect(parseRelayUrlList("nope").ok).toBe(false);
    expect(() => relayUrlsOf("http://a,,")).toThrow(TypeError);
  });
});
