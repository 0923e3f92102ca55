// The running supervisor's control channel: HTTP over a Unix socket in its 0700 folder (the socket itself 0600).
// `up` (apply a changed team file), `ps`, `down`, `restart` talk to it; nothing listens on the network.
import { chmodSync, rmSync } from "node:fs";
import { z } from "zod";
import type { Agent } from "../protocol/index.ts";
import { errorMessage } from "../util/errors.ts";
import type { Logger } from "../util/logger.ts";
import { agentRows } from "./status-view.ts";
import type { Supervisor } from "./supervisor.ts";
import type { SupervisorCommands } from "./supervisor-commands.ts";
import { isTeamFileError } from "./team-file.ts";
import type { TeamPlan } from "./team-plan.ts";

/** Control requests are tiny; anything bigger is refused before parsing. */
const MAX_BODY_BYTES = 64 * 1024;

export const ApplyRequest = z.strictObject({ file: z.string().min(1) });
export const DownRequest = z.strictObject({ agents: z.array(z.string().min(1)).max(1000).default([]) });
export const RestartRequest = z.strictObject({ agent: z.string().min(1) });
export const CommandRequest = z.strictObject({ type: z.string().min(1).max(64), params: z.unknown() });

export interface ControlDeps {
  supervisor: Supervisor;
  /** supervisor.spawn|stop|restart; the socket's user is the operator, so these run as root. */
  commands: SupervisorCommands;
  /** Read, validate and plan a team file (throws TeamFileError). */
  loadPlan(file: string): TeamPlan;
  /** The relay's view of the agents; an unreachable relay answers []. */
  relayAgents(): Promise<Agent[]>;
  /** `down` with no names: stop everything, then the supervisor exits. */
  onDownAll(): void;
  now(): number;
  logger: Logger;
}

const json = (status: number, body: unknown) => Response.json(body, { status });

async function body<T>(req: Request, schema: z.ZodType<T>): Promise<T> {
  const text = await req.text();
  if (text.length > MAX_BODY_BYTES) throw new BadRequest("request body too large");
  const parsed = schema.safeParse(text ? JSON.parse(text) : {});
  if (!parsed.success) throw new BadRequest(parsed.error.issues[0]?.message ?? "bad request");
  return parsed.data;
}

class BadRequest extends Error {}

async function route(req: Request, d: ControlDeps): Promise<Response> {
  const { pathname } = new URL(req.url);
  const key = `${req.method} ${pathname}`;
  switch (key) {
    case "GET /v1/ping":
      return json(200, { pid: process.pid });
    case "GET /v1/ps": {
      const agents = await d.relayAgents();
      return json(200, {
        pid: process.pid,
        teamFile: d.supervisor.teamFile,
        agents: agentRows(d.supervisor.list(), agents, d.now()),
      });
    }
    case "POST /v1/apply": {
      const { file } = await body(req, ApplyRequest);
      return json(200, await d.supervisor.apply(d.loadPlan(file)));
    }
    case "POST /v1/down": {
      const { agents } = await body(req, DownRequest);
      const result = await d.supervisor.stop(agents);
      const exiting = agents.length === 0;
      if (exiting) queueMicrotask(() => d.onDownAll());
      return json(200, { ...result, exiting });
    }
    case "POST /v1/restart": {
      const { agent } = await body(req, RestartRequest);
      if (!(await d.supervisor.restart(agent)))
        return json(404, { error: `no agent '${agent}' in the team` });
      return json(200, { restarted: [agent] });
    }
    case "POST /v1/command": {
      const { type, params } = await body(req, CommandRequest);
      const outcome = await d.commands.handle(type, params ?? {}, { kind: "root" });
      return outcome.ok ? json(200, outcome.result) : json(outcome.status, { error: outcome.error });
    }
    default:
      return json(404, { error: `no route ${key}` });
  }
}

export interface ControlServer {
  stop(): void;
}

export function startControlServer(socket: string, d: ControlDeps): ControlServer {
  rmSync(socket, { force: true });
  const server = Bun.serve({
    unix: socket,
    async fetch(req) {
      try {
        return await route(req, d);
      } catch (e) {
        if (e instanceof BadRequest || e instanceof SyntaxError || isTeamFileError(e))
          return json(400, { error: errorMessage(e) });
        d.logger.error({ err: errorMessage(e) }, "control request failed");
        return json(500, { error: errorMessage(e) });
      }
    },
  });
  chmodSync(socket, 0o600);
  return {
    stop() {
      server.stop(true);
      rmSync(socket, { force: true });
    },
  };
}
