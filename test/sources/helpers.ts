/** Shared helper of the source suites: recording the batch and receiver events of a context. */
import type { BatchInfo, ReceiverInfo, StreamingContext } from '../../src/index.js';

/** Everything a listener saw, in order. */
export interface Recorded {
  /** `onBatchCompleted` infos, in batch order. */
  batches: BatchInfo[];
  /** Receiver events as `[name, info]`, in the order posted. */
  receiver: ['started' | 'error' | 'stopped', ReceiverInfo][];
  errors(): ReceiverInfo[];
}

export function recordEvents(ssc: StreamingContext): Recorded {
  const recorded: Recorded = {
    batches: [],
    receiver: [],
    errors: () => recorded.receiver.filter(([n]) => n === 'error').map(([, i]) => i),
  };
  ssc.addStreamingListener({
    onBatchCompleted: (e) => void recorded.batches.push(e.batchInfo),
    onReceiverStarted: (e) => void recorded.receiver.push(['started', e.receiverInfo]),
    onReceiverError: (e) => void recorded.receiver.push(['error', e.receiverInfo]),
    onReceiverStopped: (e) => void recorded.receiver.push(['stopped', e.receiverInfo]),
  });
  return recorded;
}
