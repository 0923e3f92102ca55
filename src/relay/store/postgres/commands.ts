// Command rows on PostgreSQL: creation, status changes, and the pending ones a reconnecting session still needs.
import type { SQL } from "bun";
import type { Command, CommandStatus } from "../../../protocol/index.ts";
import { pendingCommand, toCommand } from "../mappers.ts";
import type { NewCommand, StoredCommand } from "../records.ts";
import type * as contract from "../types.ts";
import { COMMANDS_CHANNEL, type CommandNotice } from "./replica-source.ts";

export class PgCommandStore implements contract.CommandStore {
  /** @param origin this store's id among the relays on the database, in its notifications (to skip its own). */
  constructor(
    private readonly sql: SQL,
    private readonly origin: string,
  ) {}

  /** One statement: the row and NOTIFY COMMANDS_CHANNEL, sent on its commit (a wake-up for the other relays). */
  async create(c: NewCommand, now: number): Promise<Command> {
    const notice = JSON.stringify({
      id: c.id,
      targetAgent: c.targetAgent,
      origin: this.origin,
    } satisfies CommandNotice);
    await this.sql`WITH created AS (
        INSERT INTO commands (id, type, target, target_agent, sender, sender_role, params, status, created_at, updated_at)
        VALUES (${c.id}, ${c.type}, ${c.target}, ${c.targetAgent}, ${c.from}, ${c.fromRole},
          ${JSON.stringify(c.params)}, 'pending', ${now}, ${now})
        RETURNING id)
      SELECT pg_notify(${COMMANDS_CHANNEL}, ${notice}) FROM created`;
    return pendingCommand(c, now);
  }

  /** Pending commands for any of these agents (what a relay's own sessions answer for), oldest first. */
  async pendingForAny(agentIds: readonly string[]): Promise<StoredCommand[]> {
    const rows = await this.sql`SELECT * FROM commands
      WHERE status = 'pending' AND target_agent = ANY(${[...agentIds]}::text[])
      ORDER BY created_at, id COLLATE "C"`;
    return rows.map((row: { target_agent: string }) => ({
      command: toCommand(row as never),
      targetAgent: row.target_agent,
    }));
  }

  async get(id: string): Promise<StoredCommand | undefined> {
    const [row] = await this.sql`SELECT * FROM commands WHERE id = ${id}`;
    return row ? { command: toCommand(row), targetAgent: row.target_agent } : undefined;
  }

  async pendingFor(agentId: string): Promise<Command[]> {
    const rows = await this.sql`SELECT * FROM commands WHERE status = 'pending' AND target_agent = ${agentId}
      ORDER BY created_at, id COLLATE "C"`;
    return rows.map(toCommand);
  }

  async setStatus(
    id: string,
    status: CommandStatus,
    result: unknown,
    error: string | undefined,
    now: number,
  ): Promise<void> {
    const json = result === undefined ? null : JSON.stringify(result);
    await this.sql`UPDATE commands SET status = ${status}, result = coalesce(${json}, result),
        error = coalesce(${error ?? null}, error), updated_at = ${now}
      WHERE id = ${id}`;
  }
}
