// What a Codex agent adds to its runtime meta: the thread, the app-server's address, and how full its context is.

export interface CodexUsage {
  usedTokens: number;
  maxTokens?: number;
}

export function codexRuntimeMeta(
  threadId: string | undefined,
  appServerUrl: string | undefined,
  usage: CodexUsage | undefined,
): Record<string, unknown> {
  return {
    codexThreadId: threadId,
    codexAppServer: appServerUrl,
    ...(usage
      ? {
          contextTokens: usage.usedTokens,
          contextWindow: usage.maxTokens,
          contextPercent: percent(usage.usedTokens, usage.maxTokens),
        }
      : {}),
  };
}

function percent(used: number, max: number | undefined): number | undefined {
  return max ? Math.round((used / max) * 1000) / 10 : undefined;
}
