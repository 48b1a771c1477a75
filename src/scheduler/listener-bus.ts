/**
 * Delivers streaming events to listeners. A listener that throws is reported and skipped: a
 * broken dashboard must never stop the job.
 */
import { describe } from '../errors.js';
import type { StreamingListener } from './listener.js';

type EventOf<N extends keyof StreamingListener> = Parameters<NonNullable<StreamingListener[N]>>[0];

export class ListenerBus {
  private readonly listeners: StreamingListener[] = [];

  add(listener: StreamingListener): void {
    this.listeners.push(listener);
  }

  remove(listener: StreamingListener): void {
    const i = this.listeners.indexOf(listener);
    if (i >= 0) this.listeners.splice(i, 1);
  }

  /** Delivers `event` to every listener, in the order they were added. */
  post<N extends keyof StreamingListener>(name: N, event: EventOf<N>): void {
    // Iterate over a copy: a listener may add or remove listeners (itself included) while handling.
    for (const listener of this.listeners.slice()) {
      const handler = listener[name] as ((e: EventOf<N>) => unknown) | undefined;
      if (typeof handler !== 'function') continue;
      try {
        const result = handler.call(listener, event);
        // An async handler's rejection would otherwise be unhandled, which ends the Node process.
        if (isPromiseLike(result)) result.then(undefined, (error: unknown) => warn(name, error));
      } catch (error) {
        warn(name, error);
      }
    }
  }
}

function warn(name: string, error: unknown): void {
  process.emitWarning(`Streaming listener threw in ${name}: ${describe(error)}`, 'SluiceListenerWarning');
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}
