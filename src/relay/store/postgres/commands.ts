// Command rows on PostgreSQL: creation, status changes, and the pending ones a reconnecting session still needs.
import type { SQL } from "bun";
import type { Command, CommandStatus } from "../../../protocol/index.ts";
import { pendingCommand, toCommand } from "../mappers.ts";
import type { NewCommand, StoredCommand } from "../records.ts";
import type * as contract from "../types.ts";

export class PgCommandStore implements contract.CommandStore {
  constructor(private readonly sql: SQL) {}

  async create(c: NewCommand, now: number): Promise<Command> {
    await this.sql`INSERT INTO commands (id, type, target, target_agent, sender, sender_role, params, status,
        created_at, updated_at)
      VALUES (${c.id}, ${c.type}, ${c.target}, ${c.targetAgent}, ${c.from}, ${c.fromRole}, ${JSON.stringify(c.params)},
        'pending', ${now}, ${now})`;
    return pendingCommand(c, now);
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
