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
  private handlers = new Map<keyof M, Handler<never>[]>();

  on<K extends keyof M>(type: K, handler: Handler<M[K]>): () => void {
    const list = this.handlers.get(type);
    if (list) list.push(handler as Handler<never>);
    else this.handlers.set(type, [handler as Handler<never>]);
    return () => this.off(type, handler);
  }

  off<K extends keyof M>(type: K, handler: Handler<M[K]>): void {
    const list = this.handlers.get(type);
    if (!list) return;
    const i = list.indexOf(handler as Handler<never>);
    if (i >= 0) list.splice(i, 1);
  }

  emit<K extends keyof M>(type: K, payload: M[K]): void {
    const list = this.handlers.get(type);
    if (!list || list.length === 0) return;
    // Iterate over a copy so that (un)subscribing inside a handler does not skip anyone.
    for (const h of list.length === 1 ? list : list.slice()) (h as Handler<M[K]>)(payload);
  }

  hasListeners<K extends keyof M>(type: K): boolean {
    const list = this.handlers.get(type);
    return list !== undefined && list.length > 0;
  }
}
