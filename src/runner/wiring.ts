// Event wiring between the runner's parts: bus → delivery/commands, control → provider events, token → clients.
import { errorMessage } from "../util/errors.ts";
import type { AgentRunner } from "./agent-runner.ts";

export function wireRunner(r: AgentRunner): void {
  const { bus, control, queue, commands, status, work, liveness, log } = r;

  bus.on("message.new", (m) => queue.offer(m));
  bus.on("command", (c) => commands.handle(c));
  let connections = 0;
  bus.on("connected", () => {
    // After a reconnect, read what was published while we were away.
    if (connections++ > 0 && r.state === "running") {
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
    void r.stop({ ...exit, deregister: false });
  });

  // Hooks talk to the control server; their events count only for the current provider session.
  control.onProviderEvent((e) => {
    if (e.providerSessionId === r.supervisor.providerSessionId) r.onProviderEvent(e);
  });
  r.o.adapter.bindControl?.({
    publishDelivery: (item) => control.publishDelivery(item),
    onControlEvent: (listener) => control.onControlEvent(listener),
  });
  // Which delivery path is live (monitor or paste) is part of the published meta: show a change at once, not at
  // the next heartbeat.
  control.onControlEvent((e) => {
    if (e.type === "monitor.connected" || e.type === "monitor.disconnected") status.publish();
  });
  control.setTerminalAttachSpec(() => r.o.adapter.terminalAttachSpec());
  control.setReplyObligations((signal) => r.http.getReplyObligations(r.o.config.agentId, { signal }));

  let held = work.hasCondition("needs-input");
  work.onChange(() => {
    status.publish();
    // Deliveries wait while the provider needs input (a dialog, an auth problem): pick them up when that ends.
    const now = work.hasCondition("needs-input");
    if (held && !now) queue.kick();
    held = now;
  });

  r.o.credentials.onChange((token) => {
    r.http.setToken(token);
    bus.setToken(token);
    bus.reconnectTransport("runtime token renewed");
    liveness.resume();
    const record = r.o.credentials.record;
    status.timelineEvent("runtime-token-renewed", { jti: record?.jti, expiresAt: record?.expiresAt });
    if (record) r.renewer.schedule(record);
  });
}
