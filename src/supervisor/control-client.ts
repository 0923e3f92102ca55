// Talks to a running supervisor over its Unix socket; `undefined` from ping means none is running.
export class ControlError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "ControlError";
  }
}

export class ControlClient {
  constructor(private readonly socket: string) {}

  async call<T>(method: "GET" | "POST", path: string, body?: unknown, timeoutMs = 120_000): Promise<T> {
    const res = await fetch(`http://supervisor${path}`, {
      method,
      unix: this.socket,
      headers: body === undefined ? undefined : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    } as RequestInit);
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ControlError(`supervisor answered ${res.status}: ${text.slice(0, 200)}`, res.status);
    }
    if (!res.ok) {
      const msg = (parsed as { error?: unknown }).error;
      throw new ControlError(typeof msg === "string" ? msg : `supervisor answered ${res.status}`, res.status);
    }
    return parsed as T;
  }

  /** The supervisor's pid when one answers on the socket, else undefined. */
  async ping(): Promise<number | undefined> {
    try {
      return (await this.call<{ pid: number }>("GET", "/v1/ping", undefined, 5_000)).pid;
    } catch (e) {
      if (e instanceof ControlError) throw e;
      return undefined;
    }
  }
}
