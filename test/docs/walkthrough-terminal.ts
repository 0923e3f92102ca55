// Terminals for the README walkthrough test: a long-running command, and a shell that runs typed commands one by one.
import type { Subprocess } from "bun";

/** What a person sees in a terminal: stdout and stderr interleaved, in arrival order. */
class Screen {
  text = "";
  private waiters: (() => void)[] = [];

  append(chunk: string): void {
    this.text += chunk;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves on the next change; callers re-check their condition after it. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) this.append(decoder.decode(chunk, { stream: true }));
    this.append("");
  }
}

/** Wait until `check` returns a value, re-checking whenever the screen changes; throws after `timeoutMs`. */
async function untilScreen<T>(
  screen: Screen,
  what: string,
  check: () => T | undefined,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    const left = deadline - Date.now();
    if (left <= 0)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; screen:\n${screen.text}`);
    let timer: Timer | undefined;
    await Promise.race([
      screen.changed(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, left);
      }),
    ]);
    clearTimeout(timer);
  }
}

export interface TerminalOptions {
  name: string;
  cwd: string;
  env: Record<string, string>;
}

/** One command left running in its own terminal (the relay, a runner), as `bash -c` would run it typed at a prompt. */
export class LongRunning {
  readonly screen = new Screen();
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  private readonly pumped: Promise<unknown>;

  constructor(
    readonly command: string,
    readonly o: TerminalOptions,
  ) {
    this.proc = Bun.spawn(["bash", "-c", command], {
      cwd: o.cwd,
      env: o.env,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    this.pumped = Promise.all([this.screen.pump(this.proc.stdout), this.screen.pump(this.proc.stderr)]);
  }

  waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    return untilScreen(
      this.screen,
      `${this.o.name} to show ${pattern}`,
      () => this.screen.text.match(pattern) ?? undefined,
      timeoutMs,
    );
  }

  /** The exit code once the command ended and everything it printed was read; throws after `timeoutMs`. */
  async exited(timeoutMs = 30_000): Promise<number> {
    let timer: Timer | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.o.name} still running after ${timeoutMs} ms:\n${this.screen.text}`)),
        timeoutMs,
      );
    });
    try {
      const code = await Promise.race([this.proc.exited, timeout]);
      await this.pumped;
      return code;
    } finally {
      clearTimeout(timer);
    }
  }
}

export interface StepResult {
  exitCode: number;
  output: string;
}

/** One interactive-like shell (exports persist between commands); each command's output ends at a marker line. */
export class Shell {
  readonly screen = new Screen();
  private readonly proc: Subprocess<"pipe", "pipe", "pipe">;
  private steps = 0;

  constructor(readonly o: TerminalOptions) {
    this.proc = Bun.spawn(["bash"], {
      cwd: o.cwd,
      env: o.env,
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
    });
    void this.screen.pump(this.proc.stdout);
    void this.screen.pump(this.proc.stderr);
    // A terminal shows both streams together: the same here, so one marker ends a step's whole output.
    this.type("exec 2>&1");
  }

  /** Type `command` and wait for it to finish; its exit code and output, as the person would see them. */
  async run(command: string, timeoutMs = 30_000): Promise<StepResult> {
    const n = ++this.steps;
    const start = this.screen.text.length;
    this.type(command);
    this.type(`printf '\\n@@walk-step-${n} rc=%s@@\\n' "$?"`);
    const marker = new RegExp(`\\n@@walk-step-${n} rc=(\\d+)@@\\n`);
    const m = await untilScreen(
      this.screen,
      `${this.o.name}: ${command}`,
      () => marker.exec(this.screen.text.slice(start)) ?? undefined,
      timeoutMs,
    );
    return { exitCode: Number(m[1]), output: this.screen.text.slice(start, start + m.index).trim() };
  }

  /** Like closing the terminal window: end input, the shell exits. */
  async close(): Promise<number> {
    await this.proc.stdin.end();
    return this.proc.exited;
  }

  kill(): void {
    this.proc.kill("SIGKILL");
  }

  private type(line: string): void {
    this.proc.stdin.write(`${line}\n`);
    this.proc.stdin.flush();
  }
}
