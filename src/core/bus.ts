/**
 * A typed, synchronous event bus. Core modules publish what happens here instead of logging;
 * the shell (CLI, live runner) subscribes and decides what to print or store.
 *
 * Ordering: handlers of one event type run in the order they subscribed; `emit` returns after all
 * of them ran. A handler that emits re-entrantly runs the nested event to completion first.
 */

export type EventMap = Record<string, unknown>;
export type Handler<T> = (payload: T) => void;

export class EventBus<M extends EventMap> {
  /**
   * Handlers per type. A list is never changed in place: `on` and `off` put a new one, so `emit`
   * walks the list it found without copying it, and (un)subscribing inside a handler affects the
   * next emit, not the current one.
   */
  private handlers = new Map<keyof M, readonly Handler<never>[]>();

  on<K extends keyof M>(type: K, handler: Handler<M[K]>): () => void {
    const list = this.handlers.get(type);
    this.handlers.set(type, list ? [...list, handler as Handler<never>] : [handler as Handler<never>]);
    return () => this.off(type, handler);
  }

  off<K extends keyof M>(type: K, handler: Handler<M[K]>): void {
    const list = this.handlers.get(type);
    if (!list) return;
    const i = list.indexOf(handler as Handler<never>);
    if (i >= 0) this.handlers.set(type, list.filter((_, j) => j !== i));
  }

  emit<K extends keyof M>(type: K, payload: M[K]): void {
    const list = this.handlers.get(type);
    if (!list) return;
    for (let i = 0; i < list.length; i++) (list[i] as Handler<M[K]>)(payload);
  }

  hasListeners<K extends keyof M>(type: K): boolean {
    const list = this.handlers.get(type);
    return list !== undefined && list.length > 0;
  }
}
