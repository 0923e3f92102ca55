// Turns relay deliveries (and injected context) into the text of one Codex turn.
import type { DeliveryItem } from "../adapter.ts";

/** `[relay message #<id> from <from>]`, then the subject, the body and attachment paths. */
export function formatRelayMessage(item: DeliveryItem): string {
  const { message } = item;
  const lines = [`[relay message #${message.id} from ${message.from}]`];
  if (message.subject) lines.push(`Subject: ${message.subject}`);
  lines.push(message.body);
  if (item.attachmentPaths.length > 0) {
    lines.push("Attachments:", ...item.attachmentPaths.map((p) => `- ${p}`));
  }
  return lines.join("\n");
}

/** Several deliveries that become one turn, separated by blank lines. */
export function formatDeliveries(items: DeliveryItem[]): string {
  return items.map(formatRelayMessage).join("\n\n");
}

/** Context the operator injects (agent.injectContext), marked so the model does not take it as a relay message. */
export function formatSystemNote(content: string): string {
  return `[system note from the agent-relay runner: context, not a message to answer]\n${content}`;
}
