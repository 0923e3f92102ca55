// Where this package's launcher is: what a detached runner, a supervisor and the provider's skills run.
import { join } from "node:path";
import { PACKAGE_ROOT } from "../util/package-root.ts";

/** The launcher in bin/, which the provider's skills call back into. */
export const BIN_PATH = join(PACKAGE_ROOT, "bin", "agent-relay-runner");
