// Task rows and their append-only history on PostgreSQL; a status change and its entry are one transaction.
import type { SQL } from "bun";
import type { Task, TaskHistoryEntry, TaskStatus } from "../../../protocol/index.ts";
import { num } from "../mappers.ts";
import type { NewTask, TaskTransition } from "../records.ts";
import type * as contract from "../types.ts";

export class PgTaskStore implements contract.TaskStore {
  constructor(private readonly sql: SQL) {}

  onCreated: ((task: Task) => void) | undefined;
  onTransition: ((id: number, change: TaskTransition) => void) | undefined;

  async create(t: NewTask, now: number): Promise<Task> {
    const id = await this.sql.begin(async (tx) => {
      const [row] =
        await tx`INSERT INTO tasks (title, body, status, assignee, time_limit_seconds, created_at, updated_at)
        VALUES (${t.title}, ${t.body}, 'open', ${t.assignee ?? null}, ${t.timeLimitSeconds ?? null}, ${now}, ${now})
        RETURNING id`;
      await tx`INSERT INTO task_history (task_id, status, agent_id, body, metadata, at)
        VALUES (${row.id}, 'open', ${t.createdBy}, NULL, NULL, ${now})`;
      return num(row.id);
    });
    const task = (await this.read([id]))[0]!;
    this.onCreated?.(task);
    return task;
  }

  async recent(limit: number): Promise<Task[]> {
    const rows = await this.sql`SELECT id FROM tasks ORDER BY id DESC LIMIT ${limit}`;
    return this.read(rows.map((r: { id: string }) => num(r.id)).reverse());
  }

  async get(id: number): Promise<Task | undefined> {
    return (await this.read([id]))[0];
  }

  // `viewer` (a runtime token's agent) sees the tasks it is assigned or created (the first history entry's agent).
  async list(q: {
    status?: TaskStatus;
    assignee?: string;
    viewer?: string;
    afterId: number;
    limit: number;
  }): Promise<Task[]> {
    const status = q.status ?? null;
    const assignee = q.assignee ?? null;
    const viewer = q.viewer ?? null;
    const rows = await this.sql`SELECT t.id FROM tasks t WHERE t.id > ${q.afterId}
        AND (${status}::text IS NULL OR t.status = ${status})
        AND (${assignee}::text IS NULL OR t.assignee = ${assignee})
        AND (${viewer}::text IS NULL OR t.assignee = ${viewer}
             OR (SELECT h.agent_id FROM task_history h WHERE h.task_id = t.id ORDER BY h.id LIMIT 1) = ${viewer})
      ORDER BY t.id LIMIT ${q.limit}`;
    return this.read(rows.map((r: { id: string }) => num(r.id)));
  }

  async transition(id: number, change: TaskTransition, now: number): Promise<void> {
    const outcome = change.outcome === undefined ? null : JSON.stringify(change.outcome);
    const metadata = change.metadata === undefined ? null : JSON.stringify(change.metadata);
    await this.sql.begin(async (tx) => {
      await tx`UPDATE tasks SET status = ${change.status}, assignee = coalesce(${change.assignee ?? null}, assignee),
          outcome = coalesce(${outcome}, outcome), updated_at = ${now} WHERE id = ${id}`;
      await tx`INSERT INTO task_history (task_id, status, agent_id, body, metadata, at)
        VALUES (${id}, ${change.status}, ${change.agentId}, ${change.body ?? null}, ${metadata}, ${now})`;
    });
    this.onTransition?.(id, change);
  }

  /** The tasks with these ids (missing ones left out), in the order given, each with its history: two queries. */
  private async read(ids: readonly number[]): Promise<Task[]> {
    if (ids.length === 0) return [];
    const [rows, entries] = await Promise.all([
      this.sql`SELECT * FROM tasks WHERE id = ANY(${[...ids]}::bigint[])`,
      this.sql`SELECT task_id, status, agent_id, body, metadata, at FROM task_history
        WHERE task_id = ANY(${[...ids]}::bigint[]) ORDER BY id`,
    ]);
    const history = new Map<number, TaskHistoryEntry[]>();
    for (const e of entries) {
      const entry: TaskHistoryEntry = { status: e.status as TaskStatus, agentId: e.agent_id, at: num(e.at) };
      if (e.body !== null) entry.body = e.body;
      if (e.metadata !== null) entry.metadata = JSON.parse(e.metadata);
      const list = history.get(num(e.task_id));
      if (list) list.push(entry);
      else history.set(num(e.task_id), [entry]);
    }
    const byId = new Map<number, Task>();
    for (const row of rows) {
      const task: Task = {
        id: num(row.id),
        title: row.title,
        body: row.body,
        status: row.status as TaskStatus,
        history: history.get(num(row.id)) ?? [],
        createdAt: num(row.created_at),
        updatedAt: num(row.updated_at),
      };
      if (row.assignee !== null) task.assignee = row.assignee;
      if (row.time_limit_seconds !== null) task.timeLimitSeconds = num(row.time_limit_seconds);
      if (row.outcome !== null) task.outcome = JSON.parse(row.outcome);
      byId.set(task.id, task);
    }
    return ids.flatMap((id) => byId.get(id) ?? []);
  }
}
