// The one event emitter: typed events, `on` returns its own unsubscribe, and a throwing listener is reported, never
// breaks the emitter or the other listeners.

type Listener<T> = (value: T) => void;
export type ListenerErrorSink = (event: string, error: unknown) => void;

/** The default sink: one line on stderr (the emitter's owner passes its logger where it has one). */
export function reportListenerError(event: string, error: unknown): void {
  console.error(`listener for ${event} failed: ${error instanceof Error ? error.message : String(error)}`);
}

export class TypedEmitter<Events extends Record<string, unknown>> {
  private readonly listeners: { [K in keyof Events]?: Listener<Events[K]>[] } = {};

  constructor(private readonly onListenerError: ListenerErrorSink = reportListenerError) {}

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
}
