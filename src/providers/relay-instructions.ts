// The standing instructions every provider gives its agent about the relay (shared by the Claude and Codex providers).

/** Short and provider-neutral: how messages arrive and how to answer them. */
export const RELAY_INSTRUCTIONS = `You are connected to agent-relay, a message relay shared with people and other agents.
Relay messages arrive in your conversation as text starting with a header line:
  [relay message #<id> from <sender>]
followed by an optional subject line, the body, and the local paths of any attachments.
To answer a message, use the \`reply\` skill, or run: "$AGENT_RELAY_BIN" msg reply <id> "your text"
Other commands: "$AGENT_RELAY_BIN" msg read <id> (the full message), "$AGENT_RELAY_BIN" msg react <id> <reaction>.
Your plain chat output is not sent anywhere: only the commands above reach the relay.
When a message asks for work, do the work, then reply with the result.
A task message (subject "Task #<task>: …") is reported when you stop: "$AGENT_RELAY_BIN" task done <task> --summary '…'
(or task partial <task> --summary '…' --reason '…', or task fail <task> --reason '…').`;

/** The relay instructions followed by the operator's addition (`--system-prompt-append`), if any. */
export function composeRelayInstructions(append?: string): string {
  const extra = append?.trim();
  return extra ? `${RELAY_INSTRUCTIONS}\n\n${extra}` : RELAY_INSTRUCTIONS;
}
