// Run the real `agent-relay-runner` bin as a child process with a controlled environment.
import { resolve } from "node:path";

const BIN = resolve(import.meta.dir, "../../bin/agent-relay-runner");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Only what the CLI needs: PATH, a HOME of the test's choosing, and the given variables. */
export async function runCli(
  args: string[],
  options: { env: Record<string, string | undefined>; stdin?: string; timeoutMs?: number },
): Promise<CliResult> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
  for (const [k, v] of Object.entries(options.env)) if (v !== undefined) env[k] = v;
  const proc = Bun.spawn([BIN, ...args], {
    env,
    stdin: options.stdin === undefined ? "ignore" : new TextEncoder().encode(options.stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), options.timeoutMs ?? 15_000);
  try {
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}
