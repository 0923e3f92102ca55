// Several relays on one database: a command created through another relay reaches this relay's sessions of its agent.
import { type Command, SUPERVISOR_TARGET } from "../protocol/index.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { WakeUps } from "./replica-wake-ups.ts";
import type { CommandFeed, CommandStore } from "./store/types.ts";

export interface ReplicaCommandsOptions {
  feed: CommandFeed;
  commands: Pick<CommandStore, "get">;
  /** This relay's bus: who has an open session here, and the push a local creation takes. */
  hub: {
    connectedInstances(): readonly { agentId: string }[];
    hasSupervisor(): boolean;
    publishCommand(command: Command, targetAgent: string): void;
  };
  clock: Clock;
  logger: Logger;
  /** A read of the pending commands for this relay's sessions every this often (notifications may be lost); 1 s. */
  pollMs?: number;
}

/**
 * On a notice from another relay, a command whose agent has a session here is read and pushed. The fallback read
 * (the timer, and each time the listening starts) pushes the pending commands of this relay's sessions that it has
 * not seen pending before. A session may so get a command twice (made here, then seen by the read): runners ignore a
 * command id they have seen, as they do after every reconnect.
 */
export class ReplicaCommands {
  /** Ids pending at the last read, or pushed since: not pushed again by the read. */
  private seen = new Set<string>();
  private readonly wakeUps: WakeUps;
  /** Reads and pushes, one at a time. */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly o: ReplicaCommandsOptions) {
    const onTick = () => this.serially(() => this.readPending());
    this.wakeUps = new WakeUps({ ...o, pollMs: o.pollMs ?? 1_000, onTick });
  }

  async start(): Promise<void> {
    await this.wakeUps.start(() =>
      this.o.feed.listenForCommands(
        (c) => this.serially(() => this.onCreated(c.id, c.targetAgent)),
        () => this.serially(() => this.readPending()),
      ),
    );
  }

  /** Stop listening and reading (resolves after a read in progress). */
  async stop(): Promise<void> {
    await this.wakeUps.stop();
    await this.chain;
  }

  private async onCreated(id: string, targetAgent: string): Promise<void> {
    if (this.seen.has(id) || !this.connectedAgents().includes(targetAgent)) return;
    const stored = await this.o.commands.get(id);
    if (stored?.command.status !== "pending") return;
    this.push(stored.command, stored.targetAgent);
  }

  private async readPending(): Promise<void> {
    const agents = this.connectedAgents();
    const pending = await this.o.feed.pendingCommandsFor(agents);
    const before = this.seen;
    this.seen = new Set(pending.map((p) => p.command.id));
    for (const p of pending) if (!before.has(p.command.id)) this.push(p.command, p.targetAgent);
  }

  private push(command: Command, targetAgent: string): void {
    this.seen.add(command.id);
    this.o.hub.publishCommand(command, targetAgent);
  }

  private connectedAgents(): string[] {
    const agents = new Set(this.o.hub.connectedInstances().map((i) => i.agentId));
    if (this.o.hub.hasSupervisor()) agents.add(SUPERVISOR_TARGET);
    return [...agents];
  }

  private serially(run: () => Promise<void>): void {
    if (!this.wakeUps.following) return;
    this.chain = this.chain
      .then(run)
      .catch((e) => this.o.logger.warn({ err: e }, "could not read other relays' commands"));
  }
}
