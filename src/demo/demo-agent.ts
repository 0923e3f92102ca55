// The demo's terminal "agent": prints a prompt, and answers every input line it receives.
import { createInterface } from "node:readline";

const prompt = "demo-agent> ";
process.stdout.write(`demo agent started; waiting for relay messages\n${prompt}`);
let n = 0;
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === "") {
    process.stdout.write(prompt);
    continue;
  }
  n++;
  process.stdout.write(`demo-agent: received input ${n} (${line.length} characters)\n${prompt}`);
}
