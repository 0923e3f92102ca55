// A bounded set of recent message ids: de-duplication that cannot grow without limit over days.

export class RecentIds {
  private readonly ids = new Set<number>();
  constructor(private readonly capacity: number) {}

  has(id: number): boolean {
    return this.ids.has(id);
  }

  add(id: number): void {
    if (this.ids.has(id)) return;
    this.ids.add(id);
    // Sets iterate in insertion order, so the first key is the oldest.
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value as number);
  }

  clear(): void {
    this.ids.clear();
  }

  get size(): number {
    return this.ids.size;
  }
}
