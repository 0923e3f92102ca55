// The failover rule on its own: which relay a route moves to, and when the bus schedule waits.
import { describe, expect, test } from "bun:test";
import { FailoverSchedule, reconnectBackoff } from "../../src/relay-client/reconnect-policy.ts";
import { RelayRoute, type RelaySwitch } from "../../src/relay-client/relay-route.ts";
import { captureLogger } from "./capture-logger.ts";

const A = "http://relay-a:8787";
const B = "http://relay-b:8787";
const C = "https://user:secret@relay-c:8443/base?token=t0ps3cret";

describe("RelayRoute", () => {
  test("starts on the first URL and moves only when the current relay fails, in list order, wrapping around", () => {
    const route = new RelayRoute([A, B, C]);
    expect(route.current).toBe(A);
    expect(route.failed(A, "refused")).toBe(B);
    expect(route.failed(B, "reset")).toBe(C);
    expect(route.failed(C, "timeout")).toBe(A);
    expect(route.switches).toBe(3);
  });

  test("a failure of a relay that is no longer current (a request still in flight to it) moves nothing", () => {
    const route = new RelayRoute([A, B]);
    route.failed(A, "bus socket lost");
    // The HTTP client's request to A fails a moment later: the route stays on B, it does not flap back to A.
    expect(route.failed(A, "request reset")).toBe(B);
    expect(route.switches).toBe(1);
  });

  test("after failing over it stays on the relay that works; the preferred one comes back only when the current fails", () => {
    const route = new RelayRoute([A, B]);
    route.failed(A, "refused");
    for (let i = 0; i < 5; i++) expect(route.current).toBe(B);
    expect(route.failed(B, "refused")).toBe(A);
  });

  test("one URL never moves and never logs", () => {
    const log = captureLogger();
    const route = new RelayRoute(A, log.logger);
    expect(route.failed(A, "refused")).toBe(A);
    expect(route.switches).toBe(0);
    expect(log.records).toEqual([]);
  });

  test("each switch is logged once and told to listeners, naming relays by origin only (no userinfo, path or query)", () => {
    const log = captureLogger();
    const route = new RelayRoute([A, C], log.logger);
    const seen: RelaySwitch[] = [];
    route.onSwitch((s) => seen.push(s));
    route.failed(A, "refused");
    route.failed(A, "refused");
    expect(seen).toEqual([{ from: A, to: C, reason: "refused" }]);
    expect(log.records.map((r) => [r.msg, r.from, r.to])).toEqual([
      [
        "relay failover: http://relay-a:8787 → https://relay-c:8443",
        "http://relay-a:8787",
        "https://relay-c:8443",
      ],
    ]);
    expect(log.text()).not.toContain("secret");
  });

  test("refuses an empty list", () => {
    expect(() => new RelayRoute([])).toThrow(TypeError);
  });
});

describe("FailoverSchedule", () => {
  test("tries the next relay at once and waits one backoff step per round of all relays", () => {
    const route = new RelayRoute([A, B, C]);
    const s = new FailoverSchedule(
      route,
      reconnectBackoff({ initialMs: 100, maxMs: 10_000 }, () => 0.5),
    );
    const steps: [number, string][] = [];
    for (let i = 0; i < 7; i++) {
      const delay = s.connectionFailed(route.current, "refused");
      steps.push([delay, route.current]);
    }
    expect(steps).toEqual([
      [0, B],
      [0, C],
      [75, A],
      [0, B],
      [0, C],
      [150, A],
      [0, B],
    ]);
  });

  test("a welcome starts a fresh round at the first backoff step", () => {
    const route = new RelayRoute([A, B]);
    const s = new FailoverSchedule(
      route,
      reconnectBackoff({}, () => 0.5),
    );
    s.connectionFailed(A, "lost");
    s.connectionFailed(B, "refused");
    s.connectionFailed(A, "refused");
    expect(s.attempts).toBe(1);
    s.reset();
    expect(s.attempts).toBe(0);
    expect([s.connectionFailed(route.current, "lost"), s.connectionFailed(route.current, "lost")]).toEqual([
      0, 75,
    ]);
  });

  test("with one relay it is exactly the plain backoff", () => {
    const route = new RelayRoute(A);
    const s = new FailoverSchedule(
      route,
      reconnectBackoff({}, () => 0.5),
    );
    const plain = reconnectBackoff({}, () => 0.5);
    for (let i = 0; i < 6; i++) expect(s.connectionFailed(A, "refused")).toBe(plain.next());
    expect(route.current).toBe(A);
  });

  test("a refusal (the relay answered) stays on the same relay and backs off", () => {
    const route = new RelayRoute([A, B]);
    const s = new FailoverSchedule(
      route,
      reconnectBackoff({}, () => 0.5),
    );
    expect([s.refused(), s.refused()]).toEqual([75, 150]);
    expect(route.current).toBe(A);
  });
});
