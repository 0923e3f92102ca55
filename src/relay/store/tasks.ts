// Task rows and their append-only status history.
import type { Database, Statement } from "bun:sqlite";
import type { Task, TaskHistoryEntry, TaskStatus } from "../../protocol/index.ts";
import type { NewTask, TaskTransition } from "./records.ts";
import type * as contract from "./types.ts";

export type { NewTask, TaskTransition } from "./records.ts";

interface TaskRow {
  id: number;
  title: string;
  body: string;
  status: string;
  assignee: string | null;
  time_limit_seconds: number | null;
  outcome: string | null;
  created_at: number;
  updated_at: number;
}

interface HistoryRow {
  status: string;
  agent_id: string;
  body: string | null;
  metadata: string | null;
  at: number;
}

type Params = Record<string, string | number | null>;

export class TaskStore implements contract.TaskStore {
  private readonly insertStmt: Statement<unknown, [Params]>;
  private readonly historyStmt: Statement<unknown, [Params]>;
  private readonly byIdStmt: Statement<TaskRow, [number]>;
  private readonly historyByTaskStmt: Statement<HistoryRow, [number]>;
  private readonly setStatusStmt: Statement<unknown, [Params]>;
  private readonly listStmt: Statement<{ id: number }, [Params]>;
  private readonly recentStmt: Statement<{ id: number }, [number]>;

  constructor(private readonly db: Database) {
    this.insertStmt = db.query(
      `INSERT INTO tasks (title, body, status, assignee, time_limit_seconds, created_at, updated_at)
       VALUES (:title, :body, 'open', :assignee, :timeLimit, :now, :now)`,
    );
    this.historyStmt = db.query(
      `INSERT INTO task_history (task_id, status, agent_id, body, metadata, at)
       VALUES (:taskId, :status, :agentId, :body, :metadata, :now)`,
    );
    this.byIdStmt = db.query("SELECT * FROM tasks WHERE id = ?");
    this.historyByTaskStmt = db.query(
      "SELECT status, agent_id, body, metadata, at FROM task_history WHERE task_id = ? ORDER BY id",
    );
    // `viewer` (a runtime token's agent) sees the tasks it is assigned or created (the first history entry's agent).
    this.listStmt = db.query(
      `SELECT t.id FROM tasks t WHERE t.id > :afterId
         AND (:status IS NULL OR t.status = :status)
         AND (:assignee IS NULL OR t.assignee = :assignee)
         AND (:viewer IS NULL OR t.assignee = :viewer
              OR (SELECT h.agent_id FROM task_history h WHERE h.task_id = t.id ORDER BY h.id LIMIT 1) = :viewer)
       ORDER BY t.id LIMIT :limit`,
    );
    this.recentStmt = db.query("SELECT id FROM tasks ORDER BY id DESC LIMIT ?");
    this.setStatusStmt = db.query(
      `UPDATE tasks SET status = :status, assignee = coalesce(:assignee, assignee),
         outcome = coalesce(:outcome, outcome), updated_at = :now WHERE id = :id`,
    );
  }

  async create(t: NewTask, now: number): Promise<Task> {
    const id = this.db.transaction(() => {
      const taskId = Number(
        this.insertStmt.run({
          title: t.title,
          body: t.body,
          assignee: t.assignee ?? null,
          timeLimit: t.timeLimitSeconds ?? null,
          now,
        }).lastInsertRowid,
      );
      this.historyStmt.run({ taskId, status: "open", agentId: t.createdBy, body: null, metadata: null, now });
      return taskId;
    })();
    const task = this.read(id)!;
    this.onCreated?.(task);
    return task;
  }

  /** The newest `limit` tasks, oldest first (the fleet view's board). */
  async recent(limit: number): Promise<Task[]> {
    return this.recentStmt
      .all(limit)
      .reverse()
      .map((r) => this.read(r.id)!);
  }

  async get(id: number): Promise<Task | undefined> {
    return this.read(id);
  }

  private read(id: number): Task | undefined {
    const row = this.byIdStmt.get(id);
    if (!row) return undefined;
    const task: Task = {
      id: row.id,
      title: row.title,
      body: row.body,
      status: row.status as TaskStatus,
      history: this.historyByTaskStmt.all(id).map(toHistoryEntry),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
    if (row.assignee !== null) task.assignee = row.assignee;
    if (row.time_limit_seconds !== null) task.timeLimitSeconds = row.time_limit_seconds;
    if (row.outcome !== null) task.outcome = JSON.parse(row.outcome);
    return task;
  }

  /** Tasks by id after `afterId`, filtered; `viewer` limits them to those it is assigned or created. */
  async list(q: {
    status?: TaskStatus;
    assignee?: string;
    viewer?: string;
    afterId: number;
    limit: number;
  }): Promise<Task[]> {
    const ids = this.listStmt.all({
      status: q.status ?? null,
      assignee: q.assignee ?? null,
      viewer: q.viewer ?? null,
      afterId: q.afterId,
      limit: q.limit,
    });
    return ids.map((r) => this.read(r.id)!);
  }

  /** Told every new task once it is stored (the fleet view's board); one listener. */
  onCreated: ((task: Task) => void) | undefined;

  /** Told every status change once it is stored (the relay's notifier watches for failed tasks); one listener. */
  onTransition: ((id: number, change: TaskTransition) => void) | undefined;

  /** Write a status change and its history entry together. The caller has checked the transition is allowed. */
  async transition(id: number, change: TaskTransition, now: number): Promise<void> {
    this.db.transaction(() => {
      this.setStatusStmt.run({
        id,
        status: change.status,
        assignee: change.assignee ?? null,
        outcome: change.outcome === undefined ? null : JSON.stringify(change.outcome),
        now,
      });
      this.historyStmt.run({
        taskId: id,
        status: change.status,
        agentId: change.agentId,
        body: change.body ?? null,
        metadata: change.metadata === undefined ? null : JSON.stringify(change.metadata),
        now,
      });
    })();
    this.onTransition?.(id, change);
  }
}

function toHistoryEntry(row: HistoryRow): TaskHistoryEntry {
  const e: TaskHistoryEntry = { status: row.status as TaskStatus, agentId: row.agent_id, at: row.at };
  if (row.body !== null) e.body = row.body;
  if (row.metadata !== null) e.metadata = JSON.parse(row.metadata);
  return e;
}
