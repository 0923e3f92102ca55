// Bundles the CLI into dist/ (what bin/agent-relay-runner runs when it is fresh): one file per lazily loaded command
// group instead of ~150 modules, which is what a runner's idle memory and start-up time mostly pay for.
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../src/util/package-root.ts";

/** Bundle `entry` (and the chunks its dynamic imports need) into `outdir`; the same options the shipped CLI gets. */
export async function bundle(entry: string, outdir: string): Promise<void> {
  const result = await Bun.build({
    entrypoints: [entry],
    outdir,
    target: "bun",
    sourcemap: "linked",
    splitting: true,
    // pino-pretty is loaded by pino's transport worker by name, at run time, from node_modules.
    external: ["pino-pretty"],
  });
  if (!result.success) {
    throw new Error(`bundling ${entry} failed:\n${result.logs.map(String).join("\n")}`);
  }
}

/** Chunks of an older build stay this long: a runner started from it may still import one lazily. */
const OLD_CHUNK_GRACE_MS = 24 * 3600_000;

/**
 * Build into a scratch directory, then move the files into dist/: chunks first (their names are content hashes, so a
 * running runner's chunks stay what they were), the entry and the BUILT stamp last, each by an atomic rename.
 */
export async function buildDist(root = PACKAGE_ROOT): Promise<string> {
  const dist = join(root, "dist");
  const next = mkdtempSync(join(root, ".dist-"));
  try {
    await bundle(join(root, "src", "cli", "main.ts"), next);
    writeFileSync(join(next, "BUILT"), `${new Date().toISOString()}\n`);
    mkdirSync(dist, { recursive: true });
    const last = new Set(["main.js", "main.js.map", "BUILT"]);
    const files = readdirSync(next).sort((a, b) => Number(last.has(a)) - Number(last.has(b)));
    for (const f of files) renameSync(join(next, f), join(dist, f));
    const now = Date.now();
    for (const f of readdirSync(dist)) {
      const path = join(dist, f);
      if (!files.includes(f) && now - statSync(path).mtimeMs > OLD_CHUNK_GRACE_MS)
        rmSync(path, { force: true });
    }
    return dist;
  } finally {
    rmSync(next, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const t0 = performance.now();
  const dist = await buildDist();
  process.stderr.write(`agent-relay-runner: built ${dist} in ${Math.round(performance.now() - t0)} ms\n`);
}
