/**
 * Error classes. Each message says what went wrong and what to do about it.
 */

/** Base class of every error Sluice throws on purpose. */
export class SluiceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A duration that is not a positive integer of milliseconds, or not a multiple of what it must be. */
export class InvalidDurationError extends SluiceError {}

/** The DStream graph cannot run as defined (no output operation, checkpoint missing, ...). */
export class GraphValidationError extends SluiceError {}

/** A method was called in a context state that does not allow it (e.g. adding operations after start). */
export class IllegalStateError extends SluiceError {}

/**
 * A kernel worker failed half way through a task on a window's state: that key partition of the
 * window can no longer be trusted, so the window refuses every later batch (restart the stream).
 */
export class WindowStateLostError extends SluiceError {}

/** An output operation failed on every attempt; the context stops with this error. */
export class JobFailedError extends SluiceError {
  constructor(
    readonly operation: string,
    readonly batchTime: number,
    readonly attempts: number,
    cause: unknown,
  ) {
    super(
      `Output operation "${operation}" failed for batch ${batchTime} ms after ${attempts} attempt(s): ${describe(cause)}`,
      { cause },
    );
  }
}

/** A short, single-line description of any thrown value. */
export function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  if (typeof error === 'object' && error !== null) {
    // A thrown plain object would otherwise read "[object Object]" in failure reasons.
    try {
      const json = JSON.stringify(error);
      if (json !== undefined) return json;
    } catch {
      // Circular or BigInt-holding objects: fall back to String() below.
    }
  }
  return String(error);
}
