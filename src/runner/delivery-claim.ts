// A delivery batch's claims: claimed in one call (those another agent holds leave the batch), or given back on failure.
import type { DeliveryRecord, DeliveryRecords } from "./delivery-records.ts";
import type { RelayApi } from "./ports.ts";

/** The records that stay in the batch, moved to claimed. Throws when the claim call fails (the caller requeues). */
export async function claimBatch(
  batch: DeliveryRecord[],
  agentId: string,
  relay: Pick<RelayApi, "claimMany">,
  records: Pick<DeliveryRecords, "drop" | "move">,
): Promise<DeliveryRecord[]> {
  const claimIds = batch.filter((r) => r.message.claimable).map((r) => r.message.id);
  let won = new Set<number>();
  if (claimIds.length > 0) {
    const answer = await relay.claimMany(agentId, claimIds);
    won = new Set(answer.claimed.map((c) => c.id));
  }
  const ready: DeliveryRecord[] = [];
  for (const r of batch) {
    // Another agent holds it (or it is settled); if its claim lapses the message shows up unread again.
    if (r.message.claimable && !won.has(r.message.id)) records.drop(r);
    else {
      r.claimed = r.message.claimable;
      records.move(r, "claimed");
      ready.push(r);
    }
  }
  return ready;
}

/** A batch that failed after its claims: they are released (best effort) and its messages queued again. */
export async function releaseBatch(
  ready: DeliveryRecord[],
  agentId: string,
  relay: Pick<RelayApi, "releaseClaim">,
  records: Pick<DeliveryRecords, "requeue">,
): Promise<void> {
  const claimed = ready.filter((r) => r.claimed);
  await Promise.all(claimed.map((r) => relay.releaseClaim(r.message.id, agentId).catch(() => undefined)));
  for (const r of ready) records.requeue(r);
}
