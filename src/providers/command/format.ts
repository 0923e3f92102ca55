// Turns relay messages into the plain text a terminal program receives (sanitised later, at paste time).
import type { DeliveryItem } from "../adapter.ts";

/** One message as readable text: a header line, the body, then the local paths of its attachments. */
export function formatMessage(item: DeliveryItem): string {
  const { message, attachmentPaths } = item;
  const subject = message.subject ? ` ${message.subject}` : "";
  const lines = [`[relay message #${message.id} from ${message.from}]${subject}`, message.body];
  if (attachmentPaths.length > 0) {
    lines.push("Attachments:");
    attachmentPaths.forEach((path, i) => {
      const a = message.attachments[i];
      lines.push(a ? `- ${path} (${a.name}, ${a.mimeType}, ${a.size} bytes)` : `- ${path}`);
    });
  }
  return lines.join("\n");
}

/** Several messages delivered together, separated by a blank line, in the order given. */
export function formatDelivery(items: readonly DeliveryItem[]): string {
  return items.map(formatMessage).join("\n\n");
}

/** Text for agent.injectContext: marked so the program can tell it from a person's or agent's message. */
export function formatSystemNote(content: string): string {
  return `[relay system note]\n${content}`;
}
