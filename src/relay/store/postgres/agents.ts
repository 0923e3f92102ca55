// Agent rows on PostgreSQL: registration on bus hello, liveness, deregistration and the offline sweep.
import type { SQL } from "bun";
import type { Agent } from "../../../protocol/index.ts";
import { num, toAgent } from "../mappers.ts";
import type { AgentLiveness, AgentRegistration } from "../records.ts";
import type * as contract from "../types.ts";

export class PgAgentStore implements contract.AgentStore {
  constructor(private readonly sql: SQL) {}

  onChange: ((id: string) => void) | undefined;

  // The origin (only an id's first registration counts; the row outlives deregistration) and the row, together.
  // A fresh hello starts the agent not ready; the runner reports readiness once its provider is up.
  async register(r: AgentRegistration, now: number): Promise<void> {
    await this.sql.begin(async (tx) => {
      await tx`INSERT INTO agent_origins (id, first_registered_at, last_message_id)
        VALUES (${r.id}, ${now}, (SELECT coalesce(max(id), 0) FROM messages)) ON CONFLICT DO NOTHING`;
      await tx`INSERT INTO agents (id, instance_id, component_id, machine, status, semantic_status, ready,
          capabilities, tags, label, meta, heartbeat_interval_ms, connected_at, last_heartbeat_at)
        VALUES (${r.id}, ${r.instanceId}, ${r.componentId}, ${r.machine}, ${r.status}, ${r.status}, false,
          ${JSON.stringify(r.capabilities)}, ${JSON.stringify(r.tags)}, ${r.label ?? null}, ${JSON.stringify(r.meta)},
          ${r.heartbeatIntervalMs}, ${now}, ${now})
        ON CONFLICT (id) DO UPDATE SET instance_id = excluded.instance_id, component_id = excluded.component_id,
          machine = excluded.machine, status = excluded.status, semantic_status = excluded.semantic_status,
          ready = false, capabilities = excluded.capabilities, tags = excluded.tags, label = excluded.label,
          meta = excluded.meta, heartbeat_interval_ms = excluded.heartbeat_interval_ms,
          connected_at = excluded.connected_at, last_heartbeat_at = excluded.last_heartbeat_at`;
    });
    this.onChange?.(r.id);
  }

  async originOf(id: string): Promise<number> {
    const [row] = await this.sql`SELECT last_message_id FROM agent_origins WHERE id = ${id}`;
    return row ? num(row.last_message_id) : 0;
  }

  async get(id: string): Promise<Agent | undefined> {
    const [row] = await this.sql`SELECT * FROM agents WHERE id = ${id}`;
    return row ? toAgent(row) : undefined;
  }

  async list(): Promise<Agent[]> {
    return (await this.sql`SELECT * FROM agents ORDER BY id COLLATE "C"`).map(toAgent);
  }

  async soleAgentWithLabel(label: string): Promise<string | undefined> {
    const rows = await this.sql`SELECT id FROM agents WHERE label = ${label} LIMIT 2`;
    return rows.length === 1 ? rows[0].id : undefined;
  }

  async agentForComponent(componentId: string): Promise<string | undefined> {
    const [row] = await this.sql`SELECT id FROM agents WHERE component_id = ${componentId}
      ORDER BY connected_at DESC LIMIT 1`;
    return row?.id;
  }

  async othersHolding(
    field: "label" | "component_id",
    value: string,
    exceptId: string,
  ): Promise<{ id: string; status: string }[]> {
    const rows =
      field === "label"
        ? await this.sql`SELECT id, status FROM agents WHERE label = ${value} AND id <> ${exceptId}`
        : await this.sql`SELECT id, status FROM agents WHERE component_id = ${value} AND id <> ${exceptId}`;
    return rows.map((r: { id: string; status: string }) => ({ id: r.id, status: r.status }));
  }

  async clearLabel(id: string): Promise<void> {
    await this.sql`UPDATE agents SET label = NULL WHERE id = ${id}`;
    this.onChange?.(id);
  }

  async touch(id: string, change: AgentLiveness, now: number): Promise<void> {
    const meta = change.meta === undefined ? null : JSON.stringify(change.meta);
    await this.sql`UPDATE agents SET status = coalesce(${change.status ?? null}, status),
        semantic_status = coalesce(${change.semanticStatus ?? null}, semantic_status),
        ready = coalesce(${change.ready ?? null}::boolean, ready), meta = coalesce(${meta}, meta),
        last_heartbeat_at = ${now}
      WHERE id = ${id}`;
    this.onChange?.(id);
  }

  async remove(id: string): Promise<boolean> {
    const removed = (await this.sql`DELETE FROM agents WHERE id = ${id} RETURNING id`).length === 1;
    if (removed) this.onChange?.(id);
    return removed;
  }

  async sweepOffline(connectedIds: readonly string[], now: number): Promise<string[]> {
    const rows = await this
      .sql`UPDATE agents SET status = 'offline', semantic_status = 'offline', ready = false
      WHERE status <> 'offline' AND last_heartbeat_at + 3 * heartbeat_interval_ms <= ${now}
        AND NOT (id = ANY(${[...connectedIds]}::text[]))
      RETURNING id`;
    const ids = rows.map((r: { id: string }) => r.id);
    for (const id of ids) this.onChange?.(id);
    return ids;
  }
}
