// Small waits for the team commands: poll a condition with a deadline, and print (and follow) a log file.
import { closeSync, openSync, readSync, statSync } from "node:fs";

const POLL_MS = 100;

/** Poll `check` until it answers something other than undefined/false; undefined after `timeoutMs`. */
export async function waitUntil<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Write the file's content; with `follow`, keep writing what is appended until the process is stopped. */
export async function followFile(
  path: string,
  write: (chunk: Buffer) => void,
  follow: boolean,
): Promise<void> {
  let offset = 0;
  const drain = () => {
    const size = statSync(path).size;
    if (size < offset) offset = 0; // truncated: start over
    if (size === offset) return;
    const fd = openSync(path, "r");
    try {
      const buf = Buffer.alloc(size - offset);
      const n = readSync(fd, buf, 0, buf.length, offset);
      offset += n;
      write(buf.subarray(0, n));
    } finally {
      closeSync(fd);
    }
  };
  drain();
  if (!follow) return;
  await new Promise<never>(() => {
    const timer = setInterval(drain, POLL_MS * 2);
    process.once("SIGINT", () => {
      clearInterval(timer);
      process.exit(0);
    });
  });
}
