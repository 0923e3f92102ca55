// Runs relay commands aimed at this runner (or the supervisor): accepted → running → succeeded/failed, one handler per type.
import type { Logger } from "pino";
import type { Command } from "../protocol/index.ts";
import { errorMessage } from "../util/errors.ts";
import type { RelayApi } from "./ports.ts";

export type CommandHandlerFn = (command: Command, signal: AbortSignal) => Promise<unknown>;

export interface CommandRunnerOptions {
  identity: () => { agentId: string; runnerId: string };
  relay: Pick<RelayApi, "setCommandStatus">;
  handlers: Partial<Record<string, CommandHandlerFn>>;
  logger: Logger;
  onStart?: (command: Command) => void;
  onEnd?: (command: Command, outcome: { ok: boolean; error?: string }) => void;
}

const MAX_REMEMBERED = 2_000;

export class CommandRunner {
  /** Ids seen already: the relay re-sends pending commands on every reconnect. */
  private readonly seen = new Set<string>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();

  constructor(private readonly o: CommandRunnerOptions) {}

  /** Handle a command frame; returns false when it is not for us or already handled. */
  handle(command: Command): boolean {
    const { agentId, runnerId } = this.o.identity();
    if (command.target !== agentId && command.target !== runnerId) return false;
    if (command.status !== "pending" || this.seen.has(command.id)) return false;
    this.remember(command.id);
    const run = this.run(command).finally(() => this.running.delete(command.id));
    this.running.set(command.id, run);
    return true;
  }

  /** Wait for every running command to finish (a shutdown command waits for nothing but itself). */
  async drain(except?: string): Promise<void> {
    await Promise.all([...this.running.entries()].filter(([id]) => id !== except).map(([, p]) => p));
  }

  stop(): void {
    this.abort.abort(new Error("runner stopping"));
  }

  private async run(command: Command): Promise<void> {
    const handler = this.o.handlers[command.type];
    const log = this.o.logger.child({ commandId: command.id, type: command.type });
    this.o.onStart?.(command);
    try {
      await this.report(command.id, { status: "accepted" });
      if (!handler) throw new Error(`unsupported command type "${command.type}"`);
      await this.report(command.id, { status: "running" });
      const result = await handler(command, this.abort.signal);
      await this.report(command.id, { status: "succeeded", result: result ?? {} });
      log.info("command succeeded");
      this.o.onEnd?.(command, { ok: true });
    } catch (e) {
      const error = errorMessage(e);
      log.warn({ err: error }, "command failed");
      await this.report(command.id, { status: "failed", error }).catch(() => undefined);
      this.o.onEnd?.(command, { ok: false, error });
    }
  }

  private async report(id: string, body: { status: Command["status"]; result?: unknown; error?: string }) {
    try {
      await this.o.relay.setCommandStatus(id, body);
    } catch (e) {
      this.o.logger.warn(
        { commandId: id, status: body.status, err: errorMessage(e) },
        "could not report command status",
      );
      if (body.status === "failed") throw e;
    }
  }

  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > MAX_REMEMBERED) this.seen.delete(this.seen.values().next().value as string);
  }
}
