// Event wiring between the runner's parts: bus → delivery/commands, control → provider events, token → clients.
import type { Logger } from "pino";
import type { ControlServer } from "../control/index.ts";
import type { ProviderAdapter } from "../providers/adapter.ts";
import type { RelayBusClient, RelayHttpClient } from "../relay-client/index.ts";
import { errorMessage } from "../util/errors.ts";
import type { CommandRunner } from "./command-runner.ts";
import type { Credentials } from "./credentials.ts";
import type { DeliveryQueue } from "./delivery-queue.ts";
import type { Liveness } from "./liveness.ts";
import type { ProviderSupervisor } from "./provider-supervisor.ts";
import type { StatusPublisher } from "./status-publisher.ts";
import type { TokenRenewer } from "./token-renewer.ts";
import type { WorkTracker } from "./work-tracker.ts";

export interface WiringParts {
  agentId: string;
  bus: RelayBusClient;
  control: ControlServer;
  http: Pick<RelayHttpClient, "setToken" | "getReplyObligations">;
  adapter: Pick<ProviderAdapter, "bindControl" | "terminalAttachSpec">;
  supervisor: Pick<ProviderSupervisor, "acceptExternal">;
  queue: Pick<DeliveryQueue, "offer" | "kick">;
  commands: Pick<CommandRunner, "handle">;
  status: Pick<StatusPublisher, "publish" | "timelineEvent">;
  work: Pick<WorkTracker, "hasCondition" | "onChange">;
  liveness: Pick<Liveness, "readUnread" | "resume">;
  credentials: Pick<Credentials, "onChange" | "record">;
  renewer: Pick<TokenRenewer, "schedule">;
  log: Logger;
  /** Whether the runner finished starting (an unread read after a reconnect is only for a running runner). */
  isRunning: () => boolean;
  stop: (exit: { code: number; reason: string; deregister: boolean }) => void;
}

export function wireRunner(p: WiringParts): void {
  const { bus, control, queue, status, work, liveness, log } = p;

  bus.on("message.new", (m) => queue.offer(m));
  bus.on("command", (c) => p.commands.handle(c));
  let connections = 0;
  bus.on("connected", () => {
    // After a reconnect, read what was published while we were away.
    if (connections++ > 0 && p.isRunning()) {
      liveness
        .readUnread()
        .catch((e) => log.warn({ err: errorMessage(e) }, "unread read after reconnect failed"));
    }
    status.publish();
  });
  bus.on("transport", () => status.publish());
  // The relay ended the session for good. Replaced: the newer instance owns the agent now, so no deregistration.
  // Deregistered: already done on the relay, and reconnecting would register the agent again.
  bus.on("ended", ({ cause }) => {
    const exit =
      cause === "replaced"
        ? { code: 1, reason: "replaced by a newer instance" }
        : { code: 0, reason: "deregistered on the relay" };
    p.stop({ ...exit, deregister: false });
  });

  // Hooks talk to the control server; the supervisor keeps the current session's events and drops stale ones.
  control.onProviderEvent((e) => p.supervisor.acceptExternal(e));
  p.adapter.bindControl?.({
    publishDelivery: (item) => control.publishDelivery(item),
    onControlEvent: (listener) => control.onControlEvent(listener),
  });
  // Which delivery path is live (monitor or paste) is part of the published meta: show a change at once, not at
  // the next heartbeat.
  control.onControlEvent((e) => {
    if (e.type === "monitor.connected" || e.type === "monitor.disconnected") status.publish();
  });
  control.setTerminalAttachSpec(() => p.adapter.terminalAttachSpec());
  control.setReplyObligations((signal) => p.http.getReplyObligations(p.agentId, { signal }));

  let held = work.hasCondition("needs-input");
  work.onChange(() => {
    status.publish();
    // Deliveries wait while the provider needs input (a dialog, an auth problem): pick them up when that ends.
    const now = work.hasCondition("needs-input");
    if (held && !now) queue.kick();
    held = now;
  });

  p.credentials.onChange((token) => {
    p.http.setToken(token);
    bus.setToken(token);
    bus.reconnectTransport("runtime token renewed");
    liveness.resume();
    const record = p.credentials.record;
    status.timelineEvent("runtime-token-renewed", { jti: record?.jti, expiresAt: record?.expiresAt });
    if (record) p.renewer.schedule(record);
  });
}
