// Command rows: creation, status changes, and the pending ones a reconnecting session must still receive.
import type { Database, Statement } from "bun:sqlite";
import type { Command, CommandStatus } from "../../protocol/index.ts";
import { type CommandRow, pendingCommand, toCommand } from "./mappers.ts";
import type { NewCommand, StoredCommand } from "./records.ts";
import type * as contract from "./types.ts";

export type { NewCommand, StoredCommand } from "./records.ts";

type Params = Record<string, string | number | null>;

export class CommandStore implements contract.CommandStore {
  private readonly insertStmt: Statement<unknown, [Params]>;
  private readonly byIdStmt: Statement<CommandRow, [string]>;
  private readonly pendingStmt: Statement<CommandRow, [string]>;
  private readonly updateStmt: Statement<unknown, [Params]>;

  constructor(db: Database) {
    this.insertStmt = db.query(
      `INSERT INTO commands (id, type, target, target_agent, sender, sender_role, params, status, created_at, updated_at)
       VALUES (:id, :type, :target, :targetAgent, :from, :fromRole, :params, 'pending', :now, :now)`,
    );
    this.byIdStmt = db.query("SELECT * FROM commands WHERE id = ?");
    this.pendingStmt = db.query(
      `SELECT * FROM commands WHERE status = 'pending' AND target_agent = ? ORDER BY created_at, id`,
    );
    this.updateStmt = db.query(
      `UPDATE commands SET status = :status, result = coalesce(:result, result), error = coalesce(:error, error),
         updated_at = :now WHERE id = :id`,
    );
  }

  async create(c: NewCommand, now: number): Promise<Command> {
    this.insertStmt.run({ ...c, params: JSON.stringify(c.params), now });
    return pendingCommand(c, now);
  }

  async get(id: string): Promise<StoredCommand | undefined> {
    const row = this.byIdStmt.get(id);
    return row ? { command: toCommand(row), targetAgent: row.target_agent } : undefined;
  }

  /** Commands still waiting for agent `agentId` (resolved at creation, whatever the target said), oldest first. */
  async pendingFor(agentId: string): Promise<Command[]> {
    return this.pendingStmt.all(agentId).map(toCommand);
  }

  async setStatus(
    id: string,
    status: CommandStatus,
    result: unknown,
    error: string | undefined,
    now: number,
  ): Promise<void> {
    this.updateStmt.run({
      id,
      status,
      result: result === undefined ? null : JSON.stringify(result),
      error: error ?? null,
      now,
    });
  }
}
