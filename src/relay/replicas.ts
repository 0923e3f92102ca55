// Several relays on one database: what this relay follows of the others (messages, commands, revocations, receipts),
// as one.
import type { Message } from "../protocol/index.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { ReplicaCommands, type ReplicaCommandsOptions } from "./replica-commands.ts";
import { ReplicaFollower } from "./replica-follower.ts";
import { ReplicaReceipts, type ReplicaReceiptsOptions } from "./replica-receipts.ts";
import { ReplicaRevocations } from "./replica-revocations.ts";
import type { CommandStore, MessageStore, ReceiptStore, ReplicaSource } from "./store/types.ts";

export interface FollowReplicasOptions {
  source: ReplicaSource;
  messages: Pick<MessageStore, "insertBatch" | "addressing">;
  commands: Pick<CommandStore, "get">;
  receipts: Pick<ReceiptStore, "forMessage">;
  hub: ReplicaCommandsOptions["hub"] & ReplicaReceiptsOptions["hub"];
  /** The path a local commit takes (bus fan-out, fleet view). */
  publish: (batch: Message[]) => void;
  clock: Clock;
  logger: Logger;
}

export interface Replicas {
  /** Where the writer's inserts go, so own and other relays' messages are published in id order. */
  messages: Pick<MessageStore, "insertBatch">;
  /** Stop listening and polling (own inserts keep working until the store closes). */
  stop(): Promise<void>;
}

/** Start following: resolves once every listener is subscribed; on a failure, what started is stopped again. */
export async function followReplicas(o: FollowReplicasOptions): Promise<Replicas> {
  const { source, clock, logger } = o;
  const follower = new ReplicaFollower({ source, messages: o.messages, publish: o.publish, clock, logger });
  const commands = new ReplicaCommands({ feed: source, commands: o.commands, hub: o.hub, clock, logger });
  const revocations = new ReplicaRevocations({ feed: source, clock, logger });
  const receipts = new ReplicaReceipts({ ...o, feed: source });
  const parts = [follower, commands, revocations, receipts];
  const stop = async () => {
    await Promise.all(parts.map((p) => p.stop()));
  };
  try {
    await Promise.all(parts.map((p) => p.start()));
  } catch (e) {
    await stop();
    throw e;
  }
  return { messages: follower, stop };
}
