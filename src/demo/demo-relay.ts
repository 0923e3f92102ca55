// The demo agent's side of the runner contract: the control server's env, its credentials and permission endpoints, the relay's POST /v1/messages.
import { z } from "zod";

/** What the runner puts in the provider's environment (docs/operations.md); absent when run by hand. */
const ControlEnv = z.object({
  AGENT_RELAY_CONTROL_URL: z.string().url(),
  AGENT_RELAY_CONTROL_SECRET: z.string().min(1),
  AGENT_RELAY_PROVIDER_SESSION_ID: z.string().min(1),
});

const Credentials = z.object({ relayUrl: z.string().url(), agentId: z.string(), token: z.string().min(1) });
const PermissionAnswer = z.object({
  approvalId: z.string(),
  decision: z.string(),
  reason: z.string().optional(),
});
export type PermissionAnswer = z.infer<typeof PermissionAnswer>;
const SentMessage = z.object({ id: z.number() });

/** A request for a person's decision waits that long at most; a person following the README needs a few minutes. */
const PERMISSION_TIMEOUT_MS = 10 * 60_000;
const CALL_TIMEOUT_MS = 10_000;

export class DemoRelay {
  private constructor(private readonly env: z.infer<typeof ControlEnv>) {}

  /** Undefined outside a runner (the demo agent started by hand): it then only prints what it gets. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): DemoRelay | undefined {
    const parsed = ControlEnv.safeParse(env);
    return parsed.success ? new DemoRelay(parsed.data) : undefined;
  }

  /** Ask the runner's control server for permission; it long-polls until someone answers on the relay. */
  async askPermission(tool: string, detail: string): Promise<PermissionAnswer> {
    const answer = await this.control("POST", "/v1/permissions", PERMISSION_TIMEOUT_MS + CALL_TIMEOUT_MS, {
      providerSessionId: this.env.AGENT_RELAY_PROVIDER_SESSION_ID,
      tool,
      detail,
      timeoutMs: PERMISSION_TIMEOUT_MS,
    });
    return PermissionAnswer.parse(answer);
  }

  /** Reply to a message's sender as this agent; returns the reply's id. */
  async reply(to: { id: number; from: string; subject?: string }, body: string): Promise<number> {
    // Asked each time: the runner renews the agent's token, so a copy taken at start goes stale.
    const creds = Credentials.parse(await this.control("GET", "/v1/credentials", CALL_TIMEOUT_MS));
    const subject = to.subject && !/^re:/i.test(to.subject) ? `Re: ${to.subject}` : to.subject;
    const res = await fetch(new URL("/v1/messages", creds.relayUrl), {
      method: "POST",
      headers: { authorization: `Bearer ${creds.token}`, "content-type": "application/json" },
      body: JSON.stringify({ to: to.from, body, replyTo: to.id, ...(subject ? { subject } : {}) }),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`relay POST /v1/messages: ${res.status} ${await res.text()}`);
    return SentMessage.parse(await res.json()).id;
  }

  private async control(method: string, path: string, timeoutMs: number, body?: unknown): Promise<unknown> {
    const res = await fetch(new URL(path, this.env.AGENT_RELAY_CONTROL_URL), {
      method,
      headers: {
        authorization: `Bearer ${this.env.AGENT_RELAY_CONTROL_SECRET}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
      // Bun drops a request idle for 5 minutes by default; a permission waits for a person longer than that.
      timeout: false,
    });
    if (!res.ok) throw new Error(`control server ${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  }
}
