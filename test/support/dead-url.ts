// A loopback address nothing listens on: a relay that refuses every connection.

/** A loopback port that was free a moment ago (bound, then released). */
export function deadPort(): number {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = s.port as number;
  s.stop(true);
  return port;
}

/** `http://127.0.0.1:<deadPort()>`. */
export function deadUrl(): string {
  return `http://127.0.0.1:${deadPort()}`;
}
