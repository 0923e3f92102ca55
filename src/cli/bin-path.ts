// Where this package's launcher is: what a detached runner, a supervisor and the provider's skills run.
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The launcher in bin/, which the provider's skills call back into. */
export const BIN_PATH = resolve(dirname(fileURLToPath(import.meta.url)), "../../bin/agent-relay-runner");
