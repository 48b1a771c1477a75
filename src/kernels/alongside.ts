// Running a batch's shares: the calling thread's and the workers', together.

/**
 * Runs the calling thread's share (`mine`) while the workers run `remote` (already handed out),
 * then waits for every task to settle, even when one failed: tasks read buffers the caller
 * frees after. Throws the calling thread's error first, else the first task's.
 */
export async function alongside(remote: readonly Promise<void>[], mine: () => void): Promise<void> {
  let inlineError: unknown;
  try {
    mine();
  } catch (error) {
    inlineError = error;
  }
  const settled = await Promise.allSettled(remote);
  if (inlineError !== undefined) throw inlineError;
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
}
