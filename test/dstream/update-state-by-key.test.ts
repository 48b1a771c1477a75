// updateStateByKey, modelled on the updateStateByKey tests of Spark's BasicOperationsSuite (and
// the two of JavaAPISuite). Spark compares these outputs as sets (useSet = true) because the
// order of a state batch depends on key hashes, so every comparison here sorts both sides.
import { describe, expect, test } from 'vitest';
import { Batch, GraphValidationError, JobFailedError, type OutputOperationInfo, type Pair } from '../../src/index.js';
import { advanceBatches, testOperation } from '../../src/testing.js';
import { byJson, collectBatches, collectPartitions, expectedKeyPlacement, keysByPartition, sortBatches } from '../support/batches.js';
import { manualContext, runBatches, withContext } from '../support/context.js';
import { ScriptedStream } from '../support/scripted-stream.js';

// ------------------------------------------------------------------------------------ helpers

/** Spark's `(values: Seq[Int], state: Option[Int]) => Some(values.sum + state.getOrElse(0))`. */
function sumUpdate(values: number[], state: number | undefined): number {
  return values.reduce((a, b) => a + b, 0) + (state ?? 0);
}

const toOne = (word: string): Pair<string, number> => [word, 1];

/** The input of Spark's updateStateByKey tests. */
const sparkInput = [['a'], ['a', 'b'], ['a', 'b', 'c'], ['a', 'b'], ['a'], []];

// -------------------------------------------------------------------------- Spark's suites

describe("updateStateByKey: Spark's BasicOperationsSuite", () => {
  test('updateStateByKey', async () => {
    const output = await testOperation(sparkInput, (s) => s.map(toOne).updateStateByKey(sumUpdate));
    // The whole state is emitted every batch, including the last one with no data.
    expect(sortBatches(output)).toEqual([
      [['a', 1]],
      [['a', 2], ['b', 1]],
      [['a', 3], ['b', 2], ['c', 1]],
      [['a', 4], ['b', 3], ['c', 1]],
      [['a', 5], ['b', 3], ['c', 1]],
      [['a', 5], ['b', 3], ['c', 1]],
    ]);
  });

  const withInitialExpected = [
    [['a', 2], ['c', 2]],
    [['a', 3], ['b', 1], ['c', 2]],
    [['a', 4], ['b', 2], ['c', 3]],
    [['a', 5], ['b', 3], ['c', 3]],
    [['a', 6], ['b', 3], ['c', 3]],
    [['a', 6], ['b', 3], ['c', 3]],
  ];

  test('updateStateByKey - simple with initial value RDD', async () => {
    // `c` has no data in batch 1 but is in the initial state, so it is emitted (and updated) at once.
    const output = await testOperation(sparkInput, (s) =>
      s.map(toOne).updateStateByKey(sumUpdate, { initialState: [['a', 1], ['c', 2]], numPartitions: 2 }),
    );
    expect(sortBatches(output)).toEqual(withInitialExpected);
  });

  test('updateStateByKey - with initial value RDD (initial state given as a partitioned Batch)', async () => {
    // Spark runs the same data through its iterator-based overload; Sluice has one overload, so
    // this variant gives the initial state as a Batch partitioned differently from the state.
    const initialState = Batch.of<Pair<string, number>>([['c', 2], ['a', 1]], 3);
    const output = await testOperation(sparkInput, (s) => s.map(toOne).updateStateByKey(sumUpdate, { initialState, numPartitions: 2 }));
    expect(sortBatches(output)).toEqual(withInitialExpected);
  });

  test('updateStateByKey - testing time stamps as input', async () => {
    // Sluice's update function gets no batch time (Spark's time-aware overload does), so the time
    // is attached to the values with transform(); the update adds it once when there are values.
    const output = await testOperation(sparkInput, (s) =>
      s
        .map(toOne)
        .transform((batch, time) => batch.mapValues(() => time))
        .updateStateByKey((times: number[], state: number | undefined) => (times.length > 0 ? times[0]! : 0) + (state ?? 0), {
          initialState: [['a', 0], ['c', 0]],
          numPartitions: 2,
        }),
    );
    // Spark's expected data (its source comments for b and c disagree with it; the data is right).
    expect(sortBatches(output)).toEqual([
      [['a', 1000], ['c', 0]],
      [['a', 3000], ['b', 2000], ['c', 0]],
      [['a', 6000], ['b', 5000], ['c', 3000]],
      [['a', 10000], ['b', 9000], ['c', 3000]],
      [['a', 15000], ['b', 9000], ['c', 3000]],
      [['a', 15000], ['b', 9000], ['c', 3000]],
    ]);
  });

  test('updateStateByKey - object lifecycle (keys removed, batches with no data at all)', async () => {
    class StateObject {
      counter = 0;
      expireCounter = 0;
    }
    // A key seen twice in a row without new values is removed. `null` batches have no data at
    // all: the update function is then re-applied to every key with no values.
    const update = (values: number[], state: StateObject | undefined): StateObject | undefined => {
      const obj = state ?? new StateObject();
      const n = values.reduce((a, b) => a + b, 0);
      if (n === 0) obj.expireCounter += 1;
      else {
        obj.counter += n;
        obj.expireCounter = 0;
      }
      return obj.expireCounter === 2 ? undefined : obj;
    };
    const output = await withContext({}, async (ssc) => {
      const input = new ScriptedStream(ssc, [['a', 'b'], null, ['a', 'c', 'a'], ['c'], null, null]);
      const out = collectBatches(input.map(toOne).updateStateByKey(update).mapValues((o) => o.counter));
      await runBatches(ssc, 6);
      return out;
    });
    expect(sortBatches(output)).toEqual([
      [['a', 1], ['b', 1]],
      [['a', 1], ['b', 1]],
      [['a', 3], ['c', 1]],
      [['a', 3], ['c', 2]],
      [['c', 2]],
      [],
    ]);
  });

  test('rdd cleanup - updateStateByKey: the state stream does not keep every batch', async () => {
    // Spark keeps state RDDs for twice the checkpoint interval to truncate their lineage. A
    // Sluice state batch is computed from the previous one only, so no more need be kept: the
    // point is that memory does not grow with the number of batches.
    const cleanupInput = Array.from({ length: 10 }, (_, x) => [x, x + 1]);
    const cached = await withContext({}, async (ssc) => {
      const state = ssc.queueStream(cleanupInput).map((x): Pair<number, number> => [x, 1]).updateStateByKey(sumUpdate);
      const out = collectBatches(state);
      await runBatches(ssc, 10);
      expect(out).toHaveLength(10);
      // Keys 1..9 are in two batches each, 0 and 10 in one.
      const final = Array.from({ length: 11 }, (_, k): Pair<number, number> => [k, k === 0 || k === 10 ? 1 : 2]);
      expect(sortBatches(out.slice(-1))).toEqual(sortBatches([final]));
      return state.cachedBatchCount;
    });
    expect(cached).toBeLessThanOrEqual(2);
  });
});

describe("updateStateByKey: Spark's JavaAPISuite", () => {
  const stringIntKVStream: Pair<string, number>[][] = [
    [['california', 1], ['california', 3], ['new york', 4], ['new york', 1]],
    [['california', 5], ['california', 5], ['new york', 3], ['new york', 1]],
  ];

  test('testUpdateStateByKey', async () => {
    const output = await testOperation(stringIntKVStream, (s) => s.updateStateByKey(sumUpdate), { numBatches: 3 });
    expect(sortBatches(output)).toEqual([
      [['california', 4], ['new york', 5]],
      [['california', 14], ['new york', 9]],
      [['california', 14], ['new york', 9]],
    ]);
  });

  test('testUpdateStateByKeyWithInitial', async () => {
    const output = await testOperation(
      stringIntKVStream,
      (s) => s.updateStateByKey(sumUpdate, { initialState: [['california', 1], ['new york', 2]], numPartitions: 1 }),
      { numBatches: 3 },
    );
    expect(sortBatches(output)).toEqual([
      [['california', 5], ['new york', 7]],
      [['california', 15], ['new york', 11]],
      [['california', 15], ['new york', 11]],
    ]);
  });
});

// ------------------------------------------------------------------------- Sluice semantics

describe('updateStateByKey: which keys the update function sees', () => {
  test('it is called for every key with new values or a state, with [] for keys without new values', async () => {
    const calls: [number[], number | undefined][] = [];
    const callsPerBatch: [number[], number | undefined][][] = [];
    const output = await withContext({}, async (ssc) => {
      const state = ssc
        .queueStream<Pair<string, number>>([[['a', 1], ['a', 2]], [['b', 5]], []])
        .updateStateByKey((values: number[], s: number | undefined) => {
          calls.push([values, s]);
          return sumUpdate(values, s);
        });
      const out = collectBatches(state);
      state.foreachRDD(() => {
        callsPerBatch.push(calls.splice(0));
      });
      await runBatches(ssc, 3);
      return out;
    });
    expect(sortBatches(output)).toEqual([[['a', 3]], [['a', 3], ['b', 5]], [['a', 3], ['b', 5]]]);
    expect(sortBatches(callsPerBatch)).toEqual(
      sortBatches([
        [[[1, 2], undefined]],
        [[[], 3], [[5], undefined]],
        [[[], 3], [[], 5]],
      ]),
    );
  });

  test('returning undefined removes the key; new values for it later start from no state', async () => {
    const seen: (number | undefined)[] = [];
    // A 0 value is a "delete" command; the state counts the other values.
    const update = (values: number[], state: number | undefined): number | undefined => {
      if (values.includes(0)) return undefined;
      if (values.length > 0) seen.push(state);
      return (state ?? 0) + values.length;
    };
    const output = await testOperation(
      [[['a', 1], ['b', 1]], [['a', 0]], [], [['a', 1]]] as Pair<string, number>[][],
      (s) => s.updateStateByKey(update),
    );
    expect(sortBatches(output)).toEqual([[['a', 1], ['b', 1]], [['b', 1]], [['b', 1]], [['a', 1], ['b', 1]]]);
    expect(seen).toEqual([undefined, undefined, undefined]);
  });

  test('every batch is emitted, as [] while there is no state', async () => {
    const output = await testOperation([[], [], ['a'], []], (s) => s.map(toOne).updateStateByKey(sumUpdate));
    expect(sortBatches(output)).toEqual([[], [], [['a', 1]], [['a', 1]]]);
  });

  test('nothing is emitted for a first batch with no data at all (Spark: no RDD when no state and no parent RDD)', async () => {
    const output = await withContext({}, async (ssc) => {
      const out = collectBatches(new ScriptedStream(ssc, [null, ['a'], null]).map(toOne).updateStateByKey(sumUpdate));
      await runBatches(ssc, 3);
      return out;
    });
    expect(sortBatches(output)).toEqual([[['a', 1]], [['a', 1]]]);
  });

  test('structured keys are one key when equal by value', async () => {
    const output = await testOperation(
      [[[['x', 1], 1]], [[['x', 1], 2], [['x', 2], 5]]] as Pair<[string, number], number>[][],
      (s) => s.updateStateByKey(sumUpdate),
    );
    expect(sortBatches(output)).toEqual([
      [[['x', 1], 1]],
      [[['x', 1], 3], [['x', 2], 5]],
    ]);
  });
});

describe('updateStateByKey: initial state', () => {
  test('initial keys are emitted from the first batch, even when it is empty, and get their values later', async () => {
    const output = await testOperation([[], ['b'], ['a']], (s) =>
      s.map(toOne).updateStateByKey(sumUpdate, { initialState: [['a', 10], ['z', -1]] }),
    );
    expect(sortBatches(output)).toEqual([
      [['a', 10], ['z', -1]],
      [['a', 10], ['b', 1], ['z', -1]],
      [['a', 11], ['b', 1], ['z', -1]],
    ]);
  });

  test('the update function receives the initial state of a key', async () => {
    const seen: [number[], number | undefined][] = [];
    await testOperation([['a']], (s) =>
      s.map(toOne).updateStateByKey(
        (values: number[], state: number | undefined) => {
          seen.push([values, state]);
          return sumUpdate(values, state);
        },
        { initialState: new Map([['a', 41], ['q', 7]]) },
      ),
    );
    expect(seen.sort(byJson)).toEqual(
      [
        [[], 7],
        [[1], 41],
      ].sort(byJson),
    );
  });

  test('the initial state waits for the first batch the parent produces (as Spark)', async () => {
    // Spark's StateDStream returns no RDD when there is neither a previous state nor a parent
    // RDD, even with an initial RDD: the update function is not called on the initial state yet.
    const calls: [number[], number | undefined][] = [];
    const output = await withContext({}, async (ssc) => {
      const state = new ScriptedStream(ssc, [null, ['a'], null]).map(toOne).updateStateByKey(
        (values: number[], s: number | undefined) => {
          calls.push([values, s]);
          return sumUpdate(values, s);
        },
        { initialState: [['a', 10], ['z', 1]] },
      );
      const out = collectBatches(state);
      await runBatches(ssc, 3);
      return out;
    });
    expect(sortBatches(output)).toEqual([
      [['a', 11], ['z', 1]],
      [['a', 11], ['z', 1]],
    ]);
    expect(calls.sort(byJson)).toEqual(
      [
        [[1], 10],
        [[], 1],
        [[], 11],
        [[], 1],
      ].sort(byJson),
    );
  });

  test('initial keys can be removed in the first batch', async () => {
    const output = await testOperation([['a'], []], (s) =>
      s.map(toOne).updateStateByKey((values: number[], state: number | undefined) => (values.length > 0 ? sumUpdate(values, state) : undefined), {
        initialState: [['a', 1], ['gone', 1]],
      }),
    );
    expect(sortBatches(output)).toEqual([[['a', 2]], []]);
  });
});

describe('updateStateByKey: partitions', () => {
  const keys = Array.from({ length: 24 }, (_, i) => `key-${i}`);

  test('numPartitions sets the number of partitions, and every key is in its hash partition', async () => {
    const output = await withContext({}, async (ssc) => {
      const input = ssc.queueStream([Batch.of(keys.slice(0, 12), 2), Batch.of(keys.slice(12), 5), Batch.empty<string>()]);
      const out = collectPartitions(input.map(toOne).updateStateByKey(sumUpdate, { numPartitions: 3, initialState: [['init', 0]] }));
      await runBatches(ssc, 3);
      return out;
    });
    expect(output.map((parts) => parts.length)).toEqual([3, 3, 3]);
    expect(keysByPartition(output[0]!)).toEqual(expectedKeyPlacement(['init', ...keys.slice(0, 12)], 3));
    expect(keysByPartition(output[1]!)).toEqual(expectedKeyPlacement(['init', ...keys], 3));
    expect(keysByPartition(output[2]!)).toEqual(expectedKeyPlacement(['init', ...keys], 3));
  });

  test("without numPartitions the state has the parent's number of partitions", async () => {
    const output = await withContext({}, async (ssc) => {
      const input = ssc.queueStream([Batch.of(keys, 4), Batch.of(keys.slice(0, 3), 4)]);
      const out = collectPartitions(input.map(toOne).updateStateByKey(sumUpdate));
      await runBatches(ssc, 2);
      return out;
    });
    expect(output.map((parts) => parts.length)).toEqual([4, 4]);
    expect(keysByPartition(output[1]!)).toEqual(expectedKeyPlacement(keys, 4));
  });

  test('an invalid numPartitions is rejected when the stream is defined', () => {
    const { ssc } = manualContext();
    const pairs = ssc.queueStream<Pair<string, number>>([]);
    expect(() => pairs.updateStateByKey(sumUpdate, { numPartitions: 0 })).toThrow(RangeError);
    expect(() => pairs.updateStateByKey(sumUpdate, { numPartitions: 1.5 })).toThrow(/numPartitions/);
  });
});

describe('updateStateByKey: checkpointing and failures', () => {
  test('start() fails with a GraphValidationError when no checkpoint directory is set', async () => {
    await withContext({ checkpoint: false }, async (ssc) => {
      collectBatches(ssc.queueStream([['a']]).map(toOne).updateStateByKey(sumUpdate));
      const started = ssc.start();
      await expect(started).rejects.toThrow(GraphValidationError);
      await expect(started).rejects.toThrow(/checkpoint/);
      expect(ssc.state).toBe('initialized');
    });
  });

  /** Runs the running-sum pipeline; `fail(batchIndex, callIndex)` may throw from the update function. */
  async function runningSums(fail: (batch: number, call: number) => boolean): Promise<{ output: Pair<string, number>[][]; attempts: OutputOperationInfo[] }> {
    const input = [['a', 'b', 'c'], ['a', 'b', 'c', 'c'], ['b', 'c'], ['a'], []];
    return withContext({ maxTaskFailures: 2 }, async (ssc) => {
      let batch = 0;
      let call = 0;
      const attempts: OutputOperationInfo[] = [];
      ssc.addStreamingListener({ onOutputOperationCompleted: (e) => void attempts.push(e.outputOperationInfo) });
      const state = ssc.queueStream(input.map((b) => Batch.of(b, 2))).map(toOne).updateStateByKey((values: number[], s: number | undefined) => {
        if (fail(batch, call++)) throw new Error('flaky update function');
        return sumUpdate(values, s);
      });
      const output = collectBatches(state);
      state.foreachRDD(() => {
        batch++;
        call = 0;
      });
      await runBatches(ssc, input.length);
      return { output, attempts };
    });
  }

  test('a batch retried after the update function threw has the same state as without the failure', async () => {
    const clean = await runningSums(() => false);
    let thrown = false;
    // Batch 3 calls the function for a (no new values), b and c: it throws on the last call,
    // after the new state of at least one key with new values was computed.
    const flaky = await runningSums((batch, call) => {
      if (batch !== 2 || call !== 2 || thrown) return false;
      thrown = true;
      return true;
    });
    expect(thrown).toBe(true);
    expect(sortBatches(clean.output)).toEqual([
      [['a', 1], ['b', 1], ['c', 1]],
      [['a', 2], ['b', 2], ['c', 3]],
      [['a', 2], ['b', 3], ['c', 4]],
      [['a', 3], ['b', 3], ['c', 4]],
      [['a', 3], ['b', 3], ['c', 4]],
    ]);
    expect(sortBatches(flaky.output)).toEqual(sortBatches(clean.output));
    // The failed batch's first output operation needed a second attempt; nothing else did.
    expect(flaky.attempts.filter((i) => i.attempts > 1).map((i) => [i.batchTime, i.id, i.attempts])).toEqual([[3000, 0, 2]]);
  });

  test('a failure in the output operation does not re-apply the state either', async () => {
    const output = await withContext({ maxTaskFailures: 3 }, async (ssc) => {
      const out: Pair<string, number>[][] = [];
      let failures = 0;
      ssc
        .queueStream([['a'], ['a'], ['a']])
        .map(toOne)
        .updateStateByKey(sumUpdate)
        .foreachRDD((batch, time) => {
          if (time === 2000 && failures++ < 2) throw new Error('flaky sink');
          out.push(batch.collect());
        });
      await runBatches(ssc, 3);
      return out;
    });
    expect(output).toEqual([[['a', 1]], [['a', 2]], [['a', 3]]]);
  });

  test('a batch whose update function always throws stops the context with the error', async () => {
    await withContext({ maxTaskFailures: 2 }, async (ssc) => {
      collectBatches(
        ssc.queueStream<Pair<string, number>>([[['a', 1]], [['b', -1]]]).updateStateByKey((values: number[], s: number | undefined) => {
          if (values.includes(-1)) throw new Error('bad value');
          return sumUpdate(values, s);
        }),
      );
      await ssc.start();
      const failed = advanceBatches(ssc, 2);
      await expect(failed).rejects.toThrow(JobFailedError);
      await expect(failed).rejects.toThrow(/bad value/);
    });
  });
});
