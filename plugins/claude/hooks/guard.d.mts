// Types for guard.mjs (the plugin ships plain JS so it runs on whatever JS runtime the machine has).

/** The reason to refuse `command` run in `cwd`, or undefined when it may run. */
export function refusal(command: unknown, cwd: string): string | undefined;
