// Agent rows: registration on bus hello, liveness updates, deregistration and the offline sweep.
import type { Database, Statement } from "bun:sqlite";
import type { Agent } from "../../protocol/index.ts";
import { type AgentRow, toAgent } from "./mappers.ts";
import type { AgentLiveness, AgentRegistration } from "./records.ts";
import type * as contract from "./types.ts";

export type { AgentLiveness, AgentRegistration } from "./records.ts";

export class AgentStore implements contract.AgentStore {
  private readonly upsertStmt: Statement<unknown, [Record<string, string | number | null>]>;
  private readonly byIdStmt: Statement<AgentRow, [string]>;
  private readonly allStmt: Statement<AgentRow, []>;
  private readonly byLabelStmt: Statement<{ id: string }, [string]>;
  private readonly byComponentStmt: Statement<{ id: string }, [string]>;
  private readonly updateStmt: Statement<unknown, [Record<string, string | number | null>]>;
  private readonly deleteStmt: Statement<unknown, [string]>;
  private readonly holdersStmt: Record<
    "label" | "component_id",
    Statement<{ id: string; status: string }, [string, string]>
  >;
  private readonly clearLabelStmt: Statement<unknown, [string]>;
  private readonly originStmt: Statement<unknown, [Record<string, string | number>]>;
  private readonly originOfStmt: Statement<{ last_message_id: number }, [string]>;
  private readonly sweepStmt: Statement<{ id: string }, [Record<string, string | number>]>;

  constructor(db: Database) {
    // A fresh hello starts the agent not ready; the runner reports readiness once its provider is up.
    this.upsertStmt = db.query(
      `INSERT INTO agents (id, instance_id, component_id, machine, status, semantic_status, ready, capabilities,
         tags, label, meta, heartbeat_interval_ms, connected_at, last_heartbeat_at)
       VALUES (:id, :instanceId, :componentId, :machine, :status, :status, 0, :capabilities,
         :tags, :label, :meta, :heartbeatIntervalMs, :now, :now)
       ON CONFLICT (id) DO UPDATE SET instance_id = excluded.instance_id, component_id = excluded.component_id,
         machine = excluded.machine, status = excluded.status, semantic_status = excluded.semantic_status,
         ready = 0, capabilities = excluded.capabilities, tags = excluded.tags, label = excluded.label,
         meta = excluded.meta, heartbeat_interval_ms = excluded.heartbeat_interval_ms,
         connected_at = excluded.connected_at, last_heartbeat_at = excluded.last_heartbeat_at`,
    );
    this.byIdStmt = db.query("SELECT * FROM agents WHERE id = ?");
    this.allStmt = db.query("SELECT * FROM agents ORDER BY id");
    this.byLabelStmt = db.query("SELECT id FROM agents WHERE label = ? LIMIT 2");
    this.byComponentStmt = db.query(
      "SELECT id FROM agents WHERE component_id = ? ORDER BY connected_at DESC LIMIT 1",
    );
    this.updateStmt = db.query(
      `UPDATE agents SET status = coalesce(:status, status), semantic_status = coalesce(:semanticStatus, semantic_status),
         ready = coalesce(:ready, ready), meta = coalesce(:meta, meta), last_heartbeat_at = :now
       WHERE id = :id`,
    );
    this.deleteStmt = db.query("DELETE FROM agents WHERE id = ?");
    this.holdersStmt = {
      label: db.query("SELECT id, status FROM agents WHERE label = ? AND id != ?"),
      component_id: db.query("SELECT id, status FROM agents WHERE component_id = ? AND id != ?"),
    };
    this.clearLabelStmt = db.query("UPDATE agents SET label = NULL WHERE id = ?");
    // Only the first registration of an id counts; the row outlives deregistration, so a restart is not "new".
    this.originStmt = db.query(
      `INSERT OR IGNORE INTO agent_origins (id, first_registered_at, last_message_id)
       VALUES (:id, :now, (SELECT coalesce(max(id), 0) FROM messages))`,
    );
    this.originOfStmt = db.query("SELECT last_message_id FROM agent_origins WHERE id = ?");
    this.sweepStmt = db.query(
      `UPDATE agents SET status = 'offline', semantic_status = 'offline', ready = 0
       WHERE status != 'offline' AND last_heartbeat_at + 3 * heartbeat_interval_ms <= :now
         AND id NOT IN (SELECT value FROM json_each(:connected))
       RETURNING id`,
    );
  }

  /** Told the id of every agent whose row changed or went away (the fleet view pushes them); one listener. */
  onChange: ((id: string) => void) | undefined;

  async register(r: AgentRegistration, now: number): Promise<void> {
    this.originStmt.run({ id: r.id, now });
    this.upsertStmt.run({
      id: r.id,
      instanceId: r.instanceId,
      componentId: r.componentId,
      machine: r.machine,
      status: r.status,
      capabilities: JSON.stringify(r.capabilities),
      tags: JSON.stringify(r.tags),
      label: r.label ?? null,
      meta: JSON.stringify(r.meta),
      heartbeatIntervalMs: r.heartbeatIntervalMs,
      now,
    });
    this.onChange?.(r.id);
  }

  /**
   * The last message id that existed when `id` first registered: group messages (broadcast, tag, cap,
   * unpinned label) up to it are not delivered to this agent. 0 for an id that never registered.
   */
  async originOf(id: string): Promise<number> {
    return this.originOfStmt.get(id)?.last_message_id ?? 0;
  }

  async get(id: string): Promise<Agent | undefined> {
    const row = this.byIdStmt.get(id);
    return row ? toAgent(row) : undefined;
  }

  async list(): Promise<Agent[]> {
    return this.allStmt.all().map(toAgent);
  }

  /** The one agent that currently carries `label`, or undefined when none or several do. */
  async soleAgentWithLabel(label: string): Promise<string | undefined> {
    const rows = this.byLabelStmt.all(label);
    return rows.length === 1 ? rows[0]!.id : undefined;
  }

  /** The agent most recently registered under a runner's componentId. */
  async agentForComponent(componentId: string): Promise<string | undefined> {
    return this.byComponentStmt.get(componentId)?.id;
  }

  /** Registered agents other than `exceptId` whose label or runner id (component_id) is `value`. */
  async othersHolding(
    field: "label" | "component_id",
    value: string,
    exceptId: string,
  ): Promise<{ id: string; status: string }[]> {
    return this.holdersStmt[field].all(value, exceptId);
  }

  async clearLabel(id: string): Promise<void> {
    this.clearLabelStmt.run(id);
    this.onChange?.(id);
  }

  /** Apply a liveness report; every report also counts as a heartbeat. */
  async touch(id: string, change: AgentLiveness, now: number): Promise<void> {
    this.updateStmt.run({
      id,
      status: change.status ?? null,
      semanticStatus: change.semanticStatus ?? null,
      ready: change.ready === undefined ? null : change.ready ? 1 : 0,
      meta: change.meta === undefined ? null : JSON.stringify(change.meta),
      now,
    });
    this.onChange?.(id);
  }

  async remove(id: string): Promise<boolean> {
    const removed = this.deleteStmt.run(id).changes === 1;
    if (removed) this.onChange?.(id);
    return removed;
  }

  /** Mark offline every agent with no live bus session whose heartbeats stopped 3 intervals ago. */
  async sweepOffline(connectedIds: readonly string[], now: number): Promise<string[]> {
    const ids = this.sweepStmt.all({ now, connected: JSON.stringify(connectedIds) }).map((r) => r.id);
    for (const id of ids) this.onChange?.(id);
    return ids;
  }
}
