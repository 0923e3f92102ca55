// The supervisor on the relay: a bus session with role `supervisor` (root token), through which it receives the
// commands sent to target `supervisor` — from the operator or from agents — and runs them with the same rules
// as the control socket, authorising by the command's `from`. Each command ends succeeded, or failed with an
// error that starts with the refusal's HTTP status ("403 forbidden: …").
import { hostname } from "node:os";
import { nanoid } from "nanoid";
import { type Command, SUPERVISOR_TARGET } from "../protocol/index.ts";
import { RelayBusClient, RelayHttpClient } from "../relay-client/index.ts";
import { type CommandHandlerFn, CommandRunner } from "../runner/command-runner.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { httpUrls } from "./relay-access.ts";
import {
  type CommandOutcome,
  type CommandSender,
  SUPERVISOR_COMMANDS,
  type SupervisorCommands,
} from "./supervisor-commands.ts";

/** The name the supervisor's hello gives the relay's log; it is not registered as an agent. */
export const SUPERVISOR_NAME = "relay-supervisor";

const REASON: Record<Extract<CommandOutcome, { ok: false }>["status"], string> = {
  400: "400 invalid",
  403: "403 forbidden",
  404: "404 not found",
  409: "409 conflict",
};

/** The sender the relay recorded; a command without one (older than the field) is nobody's. */
export function senderOf(command: Pick<Command, "from" | "fromRole">): CommandSender | undefined {
  if (command.from === undefined) return undefined;
  if (command.fromRole === "root" || (command.fromRole === undefined && command.from === "root"))
    return { kind: "root" };
  if (command.fromRole === "operator") return { kind: "operator", name: command.from };
  return { kind: "agent", agentId: command.from };
}

export interface RelayLinkOptions {
  /** The relay, or several comma-separated in failover order. */
  url: string;
  rootToken: string;
  commands: SupervisorCommands;
  clock: Clock;
  logger: Logger;
}

export class RelayLink {
  private readonly bus: RelayBusClient;
  private readonly http: RelayHttpClient;
  private readonly handler: CommandRunner;
  private closing: Promise<void> | undefined;

  constructor(o: RelayLinkOptions) {
    const logger = o.logger.child({ part: "relay-link" });
    // One route for both, like a runner's: the supervisor's session fails over with the team's relays.
    this.http = new RelayHttpClient({ relayUrl: httpUrls(o.url), token: o.rootToken, timeoutMs: 5_000 });
    const run: CommandHandlerFn = async (command) => {
      const sender = senderOf(command);
      if (!sender) throw new Error(`${REASON[403]}: the command does not say who sent it`);
      const outcome = await o.commands.handle(command.type, command.params, sender);
      if (!outcome.ok) throw new Error(`${REASON[outcome.status]}: ${outcome.error}`);
      return outcome.result;
    };
    this.handler = new CommandRunner({
      identity: () => ({ agentId: SUPERVISOR_TARGET, runnerId: SUPERVISOR_TARGET }),
      relay: this.http,
      handlers: Object.fromEntries(SUPERVISOR_COMMANDS.map((type) => [type, run])),
      logger,
    });
    this.bus = new RelayBusClient({
      relayUrl: this.http.route.urls,
      route: this.http.route,
      token: o.rootToken,
      hello: {
        role: "supervisor",
        agentId: SUPERVISOR_NAME,
        componentId: `${SUPERVISOR_NAME}@${hostname()}`,
        instanceId: nanoid(),
        machine: hostname(),
      },
      clock: o.clock,
      logger,
    });
    this.bus.on("command", (command) => {
      this.handler.handle(command);
    });
    this.bus.on("connected", () => logger.info("connected to the relay as its supervisor"));
    this.bus.on("ended", (e) =>
      logger.error(
        { detail: e.detail },
        `the relay ended the supervisor session (${e.cause}): supervisor.* commands now go to the other supervisor`,
      ),
    );
  }

  start(): void {
    this.bus.start();
  }

  /** Resolves once the relay welcomed the session. */
  waitForOpen(timeoutMs: number): Promise<void> {
    return this.bus.waitForOpen({ timeoutMs });
  }

  /** Stop taking commands, let the running ones report, disconnect. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.bus.close();
      await this.handler.drain();
      this.handler.stop();
      await this.http.close();
    })();
    return this.closing;
  }
}
