// The package's root directory, the same whether this code runs from src/ or from the bundle in dist/.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

const PACKAGE_NAME = "agent-relay-runner";

/** Walk up from `start` to the directory whose package.json names this package. */
export function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === PACKAGE_NAME)
          return dir;
      } catch {
        // Not ours (or unreadable): keep walking.
      }
    }
    if (dirname(dir) === dir) throw new Error(`${PACKAGE_NAME}: no package.json above ${start}`);
  }
}

/** Where bin/, plugins/, node_modules/ and src/ live: paths to them must not assume the module's own depth. */
export const PACKAGE_ROOT = findPackageRoot(import.meta.dir);
