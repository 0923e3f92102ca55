// The tag rule: provider name ∪ AGENT_RELAY_TAGS ∪ --tag ∪ provider default tags ∪ "headless" when headless.

export interface TagSources {
  provider: string;
  /** AGENT_RELAY_TAGS and --tag values, in that order. */
  requestedTags: readonly string[];
  providerDefaultTags?: readonly string[];
  headless: boolean;
}

/** De-duplicated union in a stable order (provider first), so status meta does not churn between runs. */
export function computeTags(sources: TagSources): string[] {
  const out = new Set<string>([sources.provider]);
  for (const t of sources.requestedTags) out.add(t);
  for (const t of sources.providerDefaultTags ?? []) out.add(t);
  if (sources.headless) out.add("headless");
  return [...out];
}
