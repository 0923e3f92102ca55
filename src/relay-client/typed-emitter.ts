// A minimal typed event emitter: `on` returns its own unsubscribe, and a throwing listener cannot break the emitter.

type Listener<T> = (value: T) => void;

export class TypedEmitter<Events extends Record<string, unknown>> {
  private readonly listeners: { [K in keyof Events]?: Listener<Events[K]>[] } = {};

  constructor(private readonly onListenerError: (event: string, error: unknown) => void) {}

  /** Subscribe; call the returned function to unsubscribe. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    const list = this.listeners[event] ?? [];
    this.listeners[event] = [...list, listener];
    return () => this.off(event, listener);
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void {
    const list = this.listeners[event];
    if (list) this.listeners[event] = list.filter((l) => l !== listener);
  }

  emit<K extends keyof Events>(event: K, value: Events[K]): void {
    // Lists are replaced on change, never mutated, so iterating this snapshot is safe while listeners (un)subscribe.
    const list = this.listeners[event];
    if (list === undefined) return;
    for (const l of list) {
      try {
        l(value);
      } catch (e) {
        this.onListenerError(String(event), e);
      }
    }
  }

  hasListeners(event: keyof Events): boolean {
    return (this.listeners[event]?.length ?? 0) > 0;
  }
}
