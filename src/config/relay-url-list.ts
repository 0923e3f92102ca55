// --relay-url's value: one relay base URL or several, comma-separated, the first preferred (failover order).

/** What each URL in the list must be. */
export const RELAY_URL_RULE = "expected an http(s):// or ws(s):// URL";

const PROTOCOLS = new Set(["http:", "https:", "ws:", "wss:"]);

export type RelayUrlList = { ok: true; urls: string[] } | { ok: false; error: string };

function isRelayUrl(text: string): boolean {
  try {
    return PROTOCOLS.has(new URL(text).protocol);
  } catch {
    return false;
  }
}

/**
 * Split and check a relay URL list. One URL is returned as given (a single-URL setup behaves exactly as before);
 * in a list each item is trimmed, empty items and duplicates are errors, and the error names the bad item.
 */
export function parseRelayUrlList(text: string): RelayUrlList {
  if (!text.includes(","))
    return isRelayUrl(text) ? { ok: true, urls: [text] } : { ok: false, error: RELAY_URL_RULE };
  const urls = text.split(",").map((u) => u.trim());
  for (const [i, url] of urls.entries()) {
    if (url === "")
      return { ok: false, error: `expected comma-separated relay URLs, item ${i + 1} is empty` };
    if (!isRelayUrl(url))
      return { ok: false, error: `${RELAY_URL_RULE} for every item, ${JSON.stringify(url)} is not` };
    if (urls.indexOf(url) !== i)
      return { ok: false, error: `expected distinct relay URLs, ${JSON.stringify(url)} is listed twice` };
  }
  return { ok: true, urls };
}

/** The URLs of a list that already passed parseRelayUrlList (config values do): throws if it did not. */
export function relayUrlsOf(text: string): string[] {
  const list = parseRelayUrlList(text);
  if (!list.ok) throw new TypeError(`relay URL list: ${list.error}`);
  return list.urls;
}
