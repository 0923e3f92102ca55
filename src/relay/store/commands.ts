// Command rows: creation, status changes, and the pending ones a reconnecting session must still receive.
import type { Database, Statement } from "bun:sqlite";
import type { Command, CommandStatus, SenderRole } from "../../protocol/index.ts";
import type { NewCommand, StoredCommand } from "./records.ts";
import type * as contract from "./types.ts";

export type { NewCommand, StoredCommand } from "./records.ts";

interface CommandRow {
  id: string;
  type: string;
  target: string;
  target_agent: string;
  sender: string | null;
  sender_role: string | null;
  params: string;
  status: string;
  result: string | null;
  error: string | null;
  created_at: number;
  updated_at: number;
}

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
    return {
      id: c.id,
      type: c.type,
      target: c.target,
      from: c.from,
      fromRole: c.fromRole,
      params: c.params,
      status: "pending",
      createdAt: now,
      updatedAt: now,
    };
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

function toCommand(row: CommandRow): Command {
  const c: Command = {
    id: row.id,
    type: row.type,
    target: row.target,
    ...(row.sender !== null ? { from: row.sender } : {}),
    ...(row.sender_role !== null ? { fromRole: row.sender_role as SenderRole } : {}),
    params: JSON.parse(row.params),
    status: row.status as CommandStatus,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.result !== null) c.result = JSON.parse(row.result);
  if (row.error !== null) c.error = row.error;
  return c;
}
