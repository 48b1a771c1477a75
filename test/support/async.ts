/** Shared helpers of the test suites: waiting, gating and observing promises, and catching errors. */

/** Lets every pending promise callback run (the manual clock wakes sleepers through promises). */
export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `condition` every `pollMs` milliseconds; rejects naming `what` once `timeoutMs` has
 * passed.
 */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 2_000, pollMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}

/** A promise the test resolves when it chooses: a gate to hold a job or an output open. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * How a promise has settled so far, checked without waiting for it. A rejection is recorded as
 * `'rejected'` (and so handled): assert on `status` to see it.
 */
export function track(p: Promise<unknown>): { status: 'pending' | 'fulfilled' | 'rejected' } {
  const state: { status: 'pending' | 'fulfilled' | 'rejected' } = { status: 'pending' };
  p.then(
    () => (state.status = 'fulfilled'),
    () => (state.status = 'rejected'),
  );
  return state;
}

/** The error `run` rejects with; throws if it fulfils instead. */
export async function rejectionOf(run: Promise<unknown>): Promise<unknown> {
  try {
    await run;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

/** The error thrown by `fn`, which must throw synchronously. */
export function thrownBy(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to throw');
}
