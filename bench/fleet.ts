// Bench: the fleet view. With 100 registered agents and one signed-in page (Chromium), how long an agent's status
// change takes to reach the page's DOM, against the same change reaching a bare event-stream reader (the floor: the
// same relay path minus the browser). The page's first paint and first full screen (100 rows), against the sign-in
// page's first paint from the same relay, and its size. Then the relay's idle CPU with 5 pages open, against none.
import type { Browser, Page } from "puppeteer-core";
import { launchBrowser } from "../test/support/browser.ts";
import { percentile, QUICK, ROOT_TOKEN, type Row, row, say, startRelayChild } from "./support/common.ts";
import { cpuSeconds } from "./support/proc.ts";

const AGENTS = 100;

async function openAgents(url: string, n: number): Promise<WebSocket[]> {
  const bus = url.replace(/^http/, "ws");
  return Promise.all(
    Array.from({ length: n }, (_, i) => {
      const ws = new WebSocket(`${bus}/v1/bus`);
      return new Promise<WebSocket>((resolve, reject) => {
        ws.onerror = () => reject(new Error("bus connection failed"));
        ws.onopen = () =>
          ws.send(
            JSON.stringify({
              type: "hello",
              role: "provider",
              token: ROOT_TOKEN,
              agentId: `fl-${i}`,
              componentId: `fl-runner-${i}`,
              instanceId: `fl-inst-${i}`,
            }),
          );
        ws.onmessage = (e) => {
          if (JSON.parse(String(e.data)).type === "welcome") resolve(ws);
        };
      });
    }),
  );
}

async function signIn(page: Page, ui: string): Promise<void> {
  await page.goto(ui);
  await page.type("#token", ROOT_TOKEN);
  await Promise.all([page.waitForNavigation(), page.click("#signin")]);
  await page.waitForSelector(`[data-agent="fl-${AGENTS - 1}"]`);
}

/** A bare reader of the event stream (the floor): resolves each wanted text's arrival time. */
async function streamReader(ui: string, cookie: string) {
  const res = await fetch(`${ui}/api/stream`, { headers: { cookie } });
  const reader = res.body!.getReader();
  let buffer = "";
  const waiting: { text: string; resolve: (t: number) => void }[] = [];
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer = (buffer + new TextDecoder().decode(value)).slice(-100_000);
      for (const w of [...waiting]) {
        if (buffer.includes(w.text)) {
          waiting.splice(waiting.indexOf(w), 1);
          w.resolve(performance.now());
        }
      }
    }
  })();
  return {
    next: (text: string) => new Promise<number>((resolve) => waiting.push({ text, resolve })),
    clear: () => {
      buffer = "";
    },
    close: () => reader.cancel(),
  };
}

async function cookieFor(ui: string): Promise<string> {
  const res = await fetch(`${ui}/signin`, {
    method: "POST",
    redirect: "manual",
    headers: { origin: ui, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token: ROOT_TOKEN }),
  });
  return res.headers.get("set-cookie")!.split(";")[0]!;
}

export async function fleetBench(): Promise<Row[]> {
  const relay = await startRelayChild({ ui: true });
  const ui = await waitForUi(relay.proc.stdout);
  const browser = await launchBrowser();
  const agents = await openAgents(relay.url, AGENTS);
  try {
    const page = await (await browser.createBrowserContext()).newPage();
    await signIn(page, ui);
    const floorReader = await streamReader(ui, await cookieFor(ui));
    const rounds = QUICK ? 10 : 60;
    const dom: number[] = [];
    const floor: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const i = (r * 37) % AGENTS;
      const status = r % 2 === 0 ? "busy" : "idle";
      const prior = await page.$eval(`[data-agent="fl-${i}"] [data-status]`, (e) =>
        e.getAttribute("data-status"),
      );
      const want = prior === status ? (status === "busy" ? "idle" : "busy") : status;
      floorReader.clear();
      const sawStream = floorReader.next(`"id":"fl-${i}","instanceId"`);
      const sawDom = page.waitForSelector(`[data-agent="fl-${i}"] [data-status="${want}"]`);
      const t0 = performance.now();
      agents[i]!.send(
        JSON.stringify({ type: "status", agentStatus: want, semanticStatus: want, ready: true }),
      );
      const [tStream] = await Promise.all([sawStream, sawDom]);
      dom.push(performance.now() - t0);
      floor.push(tStream - t0);
    }
    await floorReader.close();
    const p95 = percentile(dom, 95);
    const floor95 = percentile(floor, 95);
    say(
      `fleet: status change → DOM p95 ${p95.toFixed(1)} ms (event stream alone ${floor95.toFixed(1)} ms), ${AGENTS} agents`,
    );

    const load = await firstScreen(browser, ui);
    say(
      `fleet: first paint ${load.paint.toFixed(0)} ms, 100 rows at ${load.rows.toFixed(0)} ms ` +
        `(sign-in page's first paint ${load.floor.toFixed(0)} ms); page + scripts + css ${load.bytes} bytes`,
    );

    // Idle CPU: the relay over the same window with no page, then with 5 pages open.
    const windowMs = QUICK ? 3_000 : 20_000;
    await page.close();
    const idleCpu = async () => {
      const before = cpuSeconds(relay.proc.proc.pid);
      await Bun.sleep(windowMs);
      return ((cpuSeconds(relay.proc.proc.pid) - before) * 1000) / windowMs;
    };
    const none = await idleCpu();
    const pages: Page[] = [];
    for (let k = 0; k < 5; k++) {
      const p = await (await browser.createBrowserContext()).newPage();
      await signIn(p, ui);
      pages.push(p);
    }
    const five = await idleCpu();
    say(
      `fleet: relay idle CPU ${(none * 100).toFixed(2)}% with no page, ${(five * 100).toFixed(2)}% with 5 pages`,
    );
    return [
      row("fleet status change → page DOM p95 (100 agents)", p95, "ms", floor95, {
        target: "≤ 100 ms",
        met: p95 <= 100,
        note: "floor: the same change read from the event stream by a bare client in this process",
      }),
      row("fleet page first paint (signed in, 100 agents)", load.paint, "ms", load.floor, {
        note: "floor: the sign-in page's first paint (static HTML, no script) from the same relay, in the same browser",
      }),
      row("fleet page: all 100 agent rows drawn", load.rows, "ms", load.floor, {
        note: `from navigation start; page + scripts + css ${load.bytes} bytes uncompressed`,
      }),
      row("relay idle CPU, 5 fleet pages open", five * 100, "%", none * 100, {
        note: "floor: the same relay with no page open, just before; the agents' buses stay connected",
      }),
    ];
  } finally {
    for (const ws of agents) ws.close();
    await browser.close();
    await relay.kill();
  }
}

/** Median over a few loads: the sign-in page's first paint; the fleet page's first paint and its 100th row. */
async function firstScreen(browser: Browser, ui: string) {
  // Chromium records the entry a moment after the paint itself.
  const fcp = async (p: Page) => {
    await p.waitForFunction(`performance.getEntriesByName("first-contentful-paint").length > 0`);
    return p.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0]!.startTime);
  };
  const floor: number[] = [];
  const paint: number[] = [];
  const rows: number[] = [];
  for (let k = 0; k < (QUICK ? 3 : 9); k++) {
    const page = await (await browser.createBrowserContext()).newPage();
    await page.goto(ui, { waitUntil: "load" });
    floor.push(await fcp(page));
    await page.type("#token", ROOT_TOKEN);
    await Promise.all([page.waitForNavigation(), page.click("#signin")]);
    await page.waitForFunction(`document.querySelectorAll("[data-agent]").length >= ${AGENTS}`);
    rows.push(await page.evaluate(() => performance.now()));
    paint.push(await fcp(page));
    await page.close();
  }
  const cookie = await cookieFor(ui);
  let bytes = 0;
  for (const path of ["/", "/board.js", "/timeline.js", "/app.js", "/app.css"]) {
    bytes += (await (await fetch(`${ui}${path}`, { headers: { cookie } })).arrayBuffer()).byteLength;
  }
  return { floor: percentile(floor, 50), paint: percentile(paint, 50), rows: percentile(rows, 50), bytes };
}

async function waitForUi(stdout: () => string): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const m = /fleet view on (http:\/\/\S+)/.exec(stdout());
    if (m) return m[1]!;
    if (Date.now() > deadline) throw new Error("the relay never printed its fleet view URL");
    await Bun.sleep(20);
  }
}

if (import.meta.main) {
  for (const r of await fleetBench()) say(JSON.stringify(r));
  process.exit(0);
}
