// mapWithState, modelled on Spark's MapWithStateSuite and the record-update cases of
// MapWithStateRDDSuite. Spark compares every batch of mapped data and of state snapshots as a
// set, since their order depends on key hashes; here both sides are sorted instead.
//
// Sluice's mapping function is Spark's simple API: every call emits what it returns, so a
// function returning `undefined` emits `undefined`. Spark tests written with the advanced API
// (which returns an Option and flattens it) are reproduced by dropping the `undefined`s with
// `defined()` before comparing.
import { describe, expect, expectTypeOf, test } from 'vitest';
import {
  Batch,
  DStream,
  GraphValidationError,
  IllegalStateError,
  InvalidDurationError,
  JobFailedError,
  MapWithStateDStream,
  Milliseconds,
  Seconds,
  State,
  StateSpec,
  type OutputOperationInfo,
  type Pair,
} from '../../src/index.js';
import { rejectionOf } from '../support/async.js';
import { byJson, collectPartitions, defined, definedSorted, expectedKeyPlacement, keysByPartition, sortBatches } from '../support/batches.js';
import { manualContext, runBatches, withContext, type ContextOptions } from '../support/context.js';
import { ScriptedStream, type InputBatch } from '../support/scripted-stream.js';

// ------------------------------------------------------------------------------------ helpers

interface StateRun<K, S, M> {
  /** The mapped records of each batch. */
  outputs: M[][];
  /** The `[key, state]` of every key after each batch. */
  snapshots: Pair<K, S>[][];
  outputPartitions: M[][][];
  snapshotPartitions: Pair<K, S>[][][];
}

interface RunOptions extends ContextOptions {
  /** Batches to run (default: one per input batch). */
  numBatches?: number;
}

/**
 * Spark's `getOperationOutput`: runs `mapWithState(spec)` on the given input, collecting the
 * mapped records and the state snapshots of every batch.
 */
async function runMapWithState<K, V, S, M>(
  input: readonly InputBatch<Pair<K, V>>[],
  spec: StateSpec<K, V, S, M>,
  options: RunOptions = {},
): Promise<StateRun<K, S, M>> {
  return withContext(options, async (ssc) => {
    const mapped = new ScriptedStream(ssc, input).mapWithState(spec);
    const outputPartitions = collectPartitions(mapped);
    const snapshotPartitions = collectPartitions(mapped.stateSnapshots());
    await runBatches(ssc, options.numBatches ?? input.length);
    return {
      outputs: outputPartitions.map((parts) => parts.flat()),
      snapshots: snapshotPartitions.map((parts) => parts.flat()),
      outputPartitions,
      snapshotPartitions,
    };
  });
}

/** The input of Spark's suite: words, each mapped to `[word, 1]`. */
function words(batches: readonly (readonly string[])[]): Pair<string, number>[][] {
  return batches.map((b) => b.map((w): Pair<string, number> => [w, 1]));
}

// -------------------------------------------------------------------------- Spark's suites

describe("State: Spark's 'state - get, exists, update, remove'", () => {
  /** Spark's `testState`: what a state with (or without) `expected` must answer. */
  function testState(
    state: State<number>,
    expected: number | undefined,
    flags: { updated?: boolean; removed?: boolean; timingOut?: boolean } = {},
  ): void {
    if (expected !== undefined) {
      expect(state.exists()).toBe(true);
      expect(state.get()).toBe(expected);
      expect(state.getOption()).toBe(expected);
      expect(state.getOption() ?? -1).toBe(expected);
    } else {
      expect(state.exists()).toBe(false);
      expect(() => state.get()).toThrow(IllegalStateError);
      expect(() => state.get()).toThrow(/State is not set/);
      expect(state.getOption()).toBeUndefined();
      expect(state.getOption() ?? -1).toBe(-1);
    }
    expect(state.isTimingOut()).toBe(flags.timingOut ?? false);
    if (flags.timingOut) {
      expect(() => state.remove()).toThrow('Cannot remove the state that is timing out');
      expect(() => state.update(-1)).toThrow('Cannot update the state that is timing out');
    }
    expect(state.wasUpdated).toBe(flags.updated ?? false);
    expect(state.wasRemoved).toBe(flags.removed ?? false);
    if (flags.removed) {
      expect(() => state.remove()).toThrow('Cannot remove the state that has already been removed');
      expect(() => state.update(-1)).toThrow('Cannot update the state after it has been removed');
    }
  }

  test("the sequence of Spark's StateImpl test", () => {
    let state = new State<number>();
    testState(state, undefined);
    state.wrap(undefined);
    testState(state, undefined);
    state.wrap({ state: 1, updatedAt: 0 });
    testState(state, 1);
    state.update(2);
    testState(state, 2, { updated: true });

    state = new State<number>();
    state.update(2);
    testState(state, 2, { updated: true });
    state.remove();
    testState(state, undefined, { removed: true });
    state.wrap({ state: 3, updatedAt: 0 }, true);
    testState(state, 3, { timingOut: true });
  });

  test('falsy states exist', () => {
    const state = new State<number | string>();
    state.update(0);
    testStateExists(state, 0);
    state.update('');
    testStateExists(state, '');
  });

  function testStateExists(state: State<number | string>, value: number | string): void {
    expect(state.exists()).toBe(true);
    expect(state.get()).toBe(value);
    expect(state.getOption()).toBe(value);
  }
});

describe("mapWithState: Spark's MapWithStateSuite", () => {
  const inputData = words([[], ['a'], ['a', 'b'], ['a', 'b', 'c'], ['a', 'b'], ['a'], []]);
  const stateData = [
    [],
    [['a', 1]],
    [['a', 2], ['b', 1]],
    [['a', 3], ['b', 2], ['c', 1]],
    [['a', 4], ['b', 3], ['c', 1]],
    [['a', 5], ['b', 3], ['c', 1]],
    [['a', 5], ['b', 3], ['c', 1]],
  ];

  /** Adds the value to the state and returns the new sum. */
  function sumOf(value: number | undefined, state: State<number>): number {
    const sum = (value ?? 0) + (state.getOption() ?? 0);
    state.update(sum);
    return sum;
  }

  test('basic operations with simple API', async () => {
    const spec = StateSpec.function((_key: string, value: number | undefined, state: State<number>) => sumOf(value, state));
    const { outputs, snapshots } = await runMapWithState(inputData, spec);
    expect(sortBatches(outputs)).toEqual(sortBatches([[], [1], [2, 1], [3, 2, 1], [4, 3], [5], []]));
    expect(sortBatches(snapshots)).toEqual(sortBatches(stateData));
  });

  test('basic operations with advanced API (key-derived output)', async () => {
    // Spark's advanced API also gets the batch time and returns an Option; Sluice's function
    // has neither, and this test needs neither: it always returns Some(key * 2).
    const spec = StateSpec.function((key: string, value: number | undefined, state: State<number>) => {
      sumOf(value, state);
      return key.repeat(2);
    });
    const { outputs, snapshots } = await runMapWithState(inputData, spec);
    expect(sortBatches(outputs)).toEqual(sortBatches([[], ['aa'], ['aa', 'bb'], ['aa', 'bb', 'cc'], ['aa', 'bb'], ['aa'], []]));
    expect(sortBatches(snapshots)).toEqual(sortBatches(stateData));
  });

  test('states as mapped data', async () => {
    const spec = StateSpec.function((key: string, value: number | undefined, state: State<number>): Pair<string, number> => [
      key,
      sumOf(value, state),
    ]);
    const { outputs, snapshots } = await runMapWithState(inputData, spec);
    expect(sortBatches(outputs)).toEqual(
      sortBatches([[], [['a', 1]], [['a', 2], ['b', 1]], [['a', 3], ['b', 2], ['c', 1]], [['a', 4], ['b', 3]], [['a', 5]], []]),
    );
    expect(sortBatches(snapshots)).toEqual(sortBatches(stateData));
  });

  test('initial states, with nothing returned as from mapping function', async () => {
    const spec = StateSpec.function((_key: string, value: number | undefined, state: State<number>): undefined => {
      sumOf(value, state);
      return undefined;
    }).initialState([['a', 5], ['b', 10], ['c', -20], ['d', 0]]);
    const { outputs, snapshots } = await runMapWithState(inputData, spec);
    expect(defined(outputs)).toEqual([[], [], [], [], [], [], []]);
    // The simple API emits one record per call, even `undefined`.
    expect(outputs.map((b) => b.length)).toEqual([0, 1, 2, 3, 2, 1, 0]);
    // The initial state is in the snapshot of batch 1, whose input is empty.
    expect(sortBatches(snapshots)).toEqual(
      sortBatches([
        [['a', 5], ['b', 10], ['c', -20], ['d', 0]],
        [['a', 6], ['b', 10], ['c', -20], ['d', 0]],
        [['a', 7], ['b', 11], ['c', -20], ['d', 0]],
        [['a', 8], ['b', 12], ['c', -19], ['d', 0]],
        [['a', 9], ['b', 13], ['c', -19], ['d', 0]],
        [['a', 10], ['b', 13], ['c', -19], ['d', 0]],
        [['a', 10], ['b', 13], ['c', -19], ['d', 0]],
      ]),
    );
  });

  test('state removing', async () => {
    const input = words([
      [],
      ['a'],
      ['a', 'b'], // a will be removed
      ['a', 'b', 'c'], // b will be removed
      ['a', 'b', 'c'], // a and c will be removed
      ['a', 'b'], // b will be removed
      ['a'], // a will be removed
      [],
    ]);
    // Emits the keys whose state it removes.
    const spec = StateSpec.function((key: string, value: number | undefined, state: State<number>): string | undefined => {
      if (state.exists()) {
        state.remove();
        return key;
      }
      state.update(value!);
      return undefined;
    }).numPartitions(1);
    const { outputs, snapshots } = await runMapWithState(input, spec);
    expect(definedSorted(outputs)).toEqual(sortBatches([[], [], ['a'], ['b'], ['a', 'c'], ['b'], ['a'], []]));
    expect(sortBatches(snapshots)).toEqual(sortBatches([[], [['a', 1]], [['b', 1]], [['a', 1], ['c', 1]], [['b', 1]], [['a', 1]], [], []]));
  });

  test('state timing out (adapted: Sluice scans for timeouts in every batch)', async () => {
    const input = words([
      ['a', 'b', 'c'],
      ['a', 'b'],
      ['a'],
      [], // c's last update (1000) is not before 4000 - 3000: not yet timed out
      [], // c times out: 1000 < 5000 - 3000
      ['a'], // b times out: 2000 < 6000 - 3000; a has new data and does not time out
      ...Array.from({ length: 20 }, () => ['a']),
    ]);
    const spec = StateSpec.function((key: string, value: number | undefined, state: State<number>): string | undefined => {
      if (value !== undefined) state.update(1);
      return state.isTimingOut() ? key : undefined;
    }).timeout(Seconds(3));
    const { outputs, snapshots } = await runMapWithState(input, spec, { numBatches: 20 });

    // What Spark's test asserts.
    expect(defined(outputs).flat().sort()).toEqual(['b', 'c']);
    expect(sortBatches(snapshots)).toContainEqual([['a', 1], ['b', 1], ['c', 1]]);
    expect(snapshots.at(-1)).toEqual([['a', 1]]);

    // Spark only scans for timeouts in checkpoint batches (every 10 batches by default), so it
    // reports b and c together in batch 10. Sluice scans every batch, so each key times out in
    // the first batch whose time minus the timeout is strictly after the key's last update.
    const expectedOutputs: string[][] = Array.from({ length: 20 }, () => []);
    expectedOutputs[4] = ['c'];
    expectedOutputs[5] = ['b'];
    expect(defined(outputs)).toEqual(expectedOutputs);
    const abc = [['a', 1], ['b', 1], ['c', 1]];
    expect(sortBatches(snapshots)).toEqual([abc, abc, abc, abc, [['a', 1], ['b', 1]], ...Array.from({ length: 15 }, () => [['a', 1]])]);
  });
});

describe("mapWithState: Spark's 'type inferencing and class tags'", () => {
  test('the key, value, state and mapped types are inferred from the mapping function', () => {
    // Spark checks ClassTags at run time; here the compiler checks the inferred types.
    const { ssc } = manualContext();
    const spec = StateSpec.function((_key: string, _value: number | undefined, _state: State<number>) => 0n).numPartitions(1);
    expectTypeOf(spec).toEqualTypeOf<StateSpec<string, number, number, bigint>>();
    const mapped = ssc.queueStream<Pair<string, number>>([]).mapWithState(spec);
    expectTypeOf(mapped).toEqualTypeOf<MapWithStateDStream<string, number, number, bigint>>();
    expectTypeOf(mapped).toExtend<DStream<bigint>>();
    expectTypeOf(mapped.stateSnapshots()).toEqualTypeOf<DStream<Pair<string, number>>>();
  });
});

describe("mapWithState: Spark's MapWithStateRDDSuite record updates", () => {
  // One key, "key". Batch 1 (t = 1000) has no data: it only loads the initial state, so that the
  // state's last update is 1000, Spark's `initialTime`. Batch 2 (t = 2000, Spark's `updatedTime`)
  // carries the data; a timeout of T makes the threshold 2000 - T, Spark's `timeoutThreshold`.
  interface RecordCase {
    name: string;
    initial?: number;
    data: string[];
    /** Spark's timeoutThreshold, as 2000 - timeout. */
    timeout?: number;
    states: number[];
    output?: number[];
    timingOut?: number[];
    removed?: number[];
    /** Calls of the mapping function in batch 2. */
    calls: number;
  }

  const cases: RecordCase[] = [
    { name: 'no state, no data: not called', data: [], states: [], calls: 0 },
    { name: 'state, no data: not called', initial: 0, data: [], states: [0], calls: 0 },
    { name: 'state, noop', initial: 0, data: ['noop'], states: [0], calls: 1 },
    { name: 'no state, noop', data: ['noop'], states: [], calls: 1 },
    { name: 'no state, get-state', data: ['get-state'], states: [], output: [-1], calls: 1 },
    { name: 'state, get-state', initial: 123, data: ['get-state'], states: [123], output: [123], calls: 1 },
    { name: 'no state, update-state', data: ['update-state'], states: [0], calls: 1 },
    { name: 'state, update-state', initial: 0, data: ['update-state'], states: [1], calls: 1 },
    { name: 'state, remove-state', initial: 345, data: ['remove-state'], states: [], removed: [345], calls: 1 },
    { name: 'threshold equal to the last update: not timed out', initial: 123, data: [], timeout: 1000, states: [123], calls: 0 },
    { name: 'threshold after the last update: timed out', initial: 123, data: [], timeout: 999, states: [], timingOut: [123], calls: 1 },
    { name: 'data refreshes the update time even without update()', initial: 123, data: ['noop'], timeout: 999, states: [123], calls: 1 },
    { name: 'removed by data, not timed out', initial: 123, data: ['remove-state'], timeout: 999, states: [], removed: [123], calls: 1 },
    { name: 'no state, noop, with a threshold (SPARK-13195)', data: ['noop'], timeout: 999, states: [], calls: 1 },
  ];

  test.each(cases)('$name', async (c) => {
    const timingOut: number[] = [];
    const removed: number[] = [];
    let calls = 0;
    const spec = StateSpec.function((_key: string, action: string | undefined, state: State<number>): number | undefined => {
      calls++;
      switch (action) {
        case undefined:
          expect(state.isTimingOut()).toBe(true);
          timingOut.push(state.get());
          return undefined;
        case 'get-state':
          return state.getOption() ?? -1;
        case 'update-state':
          state.update(state.exists() ? state.get() + 1 : 0);
          return undefined;
        case 'remove-state':
          removed.push(state.get());
          state.remove();
          return undefined;
        default:
          return undefined;
      }
    });
    if (c.initial !== undefined) spec.initialState([['key', c.initial]]);
    if (c.timeout !== undefined) spec.timeout(c.timeout);
    const data = c.data.map((action): Pair<string, string> => ['key', action]);
    const { outputs, snapshots } = await runMapWithState([[], data], spec);

    expect(defined(outputs)).toEqual([[], c.output ?? []]);
    expect(snapshots[1]).toEqual(c.states.map((s) => ['key', s]));
    expect(calls).toBe(c.calls);
    expect(timingOut).toEqual(c.timingOut ?? []);
    expect(removed).toEqual(c.removed ?? []);
  });
});

describe("mapWithState: Spark's MapWithStateRDDSuite 'states generated by MapWithStateRDD'", () => {
  // Data value 1: increment the state (or create it at 0); 2: remove it; anything else: nothing.
  // Each chain starts again from the initial state {k1: 0, k2: 0}, as Spark's RDDs do.
  async function chain(batches: Pair<string, number>[][]): Promise<{ snapshots: Pair<string, number>[][]; calls: string[][] }> {
    const calls: string[] = [];
    const spec = StateSpec.function((key: string, value: number | undefined, state: State<number>): undefined => {
      calls.push(key);
      if (value === 1) state.update(state.exists() ? state.get() + 1 : 0);
      else if (value === 2) state.remove();
      return undefined;
    })
      .initialState([['k1', 0], ['k2', 0]])
      .numPartitions(2);
    const callsPerBatch: string[][] = [];
    const snapshots = await withContext({}, async (ssc) => {
      const mapped = new ScriptedStream(ssc, batches).mapWithState(spec);
      mapped.foreachRDD(() => void callsPerBatch.push(calls.splice(0)));
      const out = collectPartitions(mapped.stateSnapshots());
      await runBatches(ssc, batches.length);
      return out.map((parts) => parts.flat());
    });
    return { snapshots: sortBatches(snapshots), calls: callsPerBatch };
  }

  test('no new state for data without an update', async () => {
    const { snapshots, calls } = await chain([[], [['k1', 0]], [['k3', 0]]]);
    const init = [['k1', 0], ['k2', 0]];
    expect(snapshots).toEqual([init, init, init]);
    expect(calls).toEqual([[], ['k1'], ['k3']]);
  });

  test('new keys', async () => {
    const { snapshots } = await chain([[['k3', 1]], [['k4', 1]]]);
    expect(snapshots).toEqual([
      [['k1', 0], ['k2', 0], ['k3', 0]],
      [['k1', 0], ['k2', 0], ['k3', 0], ['k4', 0]],
    ]);
  });

  test('updated keys: one call per record, none for keys without data', async () => {
    const { snapshots, calls } = await chain([[['k1', 1]], [['x', 0], ['k2', 1], ['k2', 1], ['k3', 1]], [['k3', 1]]]);
    expect(snapshots).toEqual([
      [['k1', 1], ['k2', 0]],
      [['k1', 1], ['k2', 2], ['k3', 0]], // two records for k2: two calls, 0 -> 1 -> 2
      [['k1', 1], ['k2', 2], ['k3', 1]],
    ]);
    expect(calls.map((c) => c.sort())).toEqual([['k1'], ['k2', 'k2', 'k3', 'x'], ['k3']]);
  });

  test('removed keys', async () => {
    const { snapshots } = await chain([[['k1', 2]], [['k2', 2], ['k0', 2], ['k3', 1]], [['k3', 2]]]);
    expect(snapshots).toEqual([[['k2', 0]], [['k3', 0]], []]);
  });
});

// ------------------------------------------------------------------------- Sluice semantics

describe('mapWithState: records and mapped output', () => {
  test("records of a key are mapped one by one, in arrival order, each seeing the previous one's state", async () => {
    const spec = StateSpec.function((key: string, value: number | undefined, state: State<number[]>): string => {
      const seen = [...(state.getOption() ?? []), value!];
      state.update(seen);
      return `${key}:${seen.join(',')}`;
    });
    const input: Pair<string, number>[][] = [[['a', 3], ['b', 1], ['a', 1], ['a', 2]], [['a', 9]]];
    const { outputs, snapshots } = await runMapWithState(input, spec);
    expect(sortBatches(outputs)).toEqual(sortBatches([['a:3', 'b:1', 'a:3,1', 'a:3,1,2'], ['a:3,1,2,9']]));
    expect(sortBatches(snapshots)).toEqual(sortBatches([[['a', [3, 1, 2]], ['b', [1]]], [['a', [3, 1, 2, 9]], ['b', [1]]]]));
  });

  test('the simple API emits exactly one record per call, undefined included', async () => {
    const spec = StateSpec.function((_key: string, _value: number | undefined, _state: State<number>): undefined => undefined);
    const { outputs, snapshots } = await runMapWithState(words([['a', 'a', 'b'], [], ['c']]), spec);
    expect(outputs).toEqual([[undefined, undefined, undefined], [], [undefined]]);
    expect(snapshots).toEqual([[], [], []]);
  });

  test('the state is computed once per batch, however many outputs read it', async () => {
    let calls = 0;
    const spec = StateSpec.function((_key: string, value: number | undefined, state: State<number>) => {
      calls++;
      state.update((state.getOption() ?? 0) + value!);
    });
    const snapshots = await withContext({}, async (ssc) => {
      const mapped = new ScriptedStream(ssc, words([['a', 'b'], ['a']])).mapWithState(spec);
      collectPartitions(mapped);
      collectPartitions(mapped.stateSnapshots());
      const out = collectPartitions(mapped.stateSnapshots());
      await runBatches(ssc, 2);
      return out.map((parts) => parts.flat());
    });
    expect(calls).toBe(3);
    expect(sortBatches(snapshots)).toEqual([[['a', 1], ['b', 1]], [['a', 2], ['b', 1]]]);
  });

  test('structured keys are one key when equal by value', async () => {
    const spec = StateSpec.function((_key: [string, number], value: number | undefined, state: State<number>) => {
      const sum = (state.getOption() ?? 0) + value!;
      state.update(sum);
      return sum;
    });
    const input: Pair<[string, number], number>[][] = [[[['x', 1], 1], [['x', 2], 10]], [[['x', 1], 5]]];
    const { outputs, snapshots } = await runMapWithState(input, spec);
    expect(sortBatches(outputs)).toEqual([[1, 10], [6]]);
    expect(sortBatches(snapshots)).toEqual(sortBatches([[[['x', 1], 1], [['x', 2], 10]], [[['x', 1], 6], [['x', 2], 10]]]));
  });
});

describe('mapWithState: stateSnapshots', () => {
  test('a snapshot is emitted every batch, [] while there is no state, even for batches with no data at all', async () => {
    const spec = StateSpec.function((_key: string, value: number | undefined, state: State<number>) => {
      state.update((state.getOption() ?? 0) + value!);
      return value;
    });
    // `null`: the input has no batch at all at that time; mapWithState still emits.
    const { outputs, snapshots } = await runMapWithState([[], null, words([['a']])[0]!, null, []], spec);
    expect(outputs).toEqual([[], [], [1], [], []]);
    expect(snapshots).toEqual([[], [], [['a', 1]], [['a', 1]], [['a', 1]]]);
  });

  test('snapshots hold every key, including those without data in the batch', async () => {
    const spec = StateSpec.function((key: string, _value: number | undefined, state: State<string>) => {
      state.update(key.toUpperCase());
    });
    const { snapshots } = await runMapWithState(words([['a', 'b'], ['c'], []]), spec);
    expect(sortBatches(snapshots)).toEqual([
      [['a', 'A'], ['b', 'B']],
      [['a', 'A'], ['b', 'B'], ['c', 'C']],
      [['a', 'A'], ['b', 'B'], ['c', 'C']],
    ]);
  });

  test('a snapshot does not change when a later batch updates the state', async () => {
    const spec = StateSpec.function((_key: string, value: number | undefined, state: State<number>) => {
      state.update((state.getOption() ?? 0) + value!);
    });
    const batches = await withContext({}, async (ssc) => {
      const kept: Batch<Pair<string, number>>[] = [];
      new ScriptedStream(ssc, words([['a'], ['a'], ['a']]))
        .mapWithState(spec)
        .stateSnapshots()
        .foreachRDD((b) => void kept.push(b));
      await runBatches(ssc, 3);
      return kept;
    });
    expect(batches.map((b) => b.collect())).toEqual([[['a', 1]], [['a', 2]], [['a', 3]]]);
  });
});

describe('mapWithState: initial state', () => {
  test('initial keys are in the first snapshot and are handed to the function', async () => {
    const seen: Pair<string, number | undefined>[] = [];
    const spec = StateSpec.function((key: string, value: number | undefined, state: State<number>) => {
      seen.push([key, state.getOption()]);
      state.update((state.getOption() ?? 0) + value!);
    }).initialState(new Map([['a', 10], ['z', 0]]));
    const { snapshots } = await runMapWithState(words([['a', 'b'], ['z']]), spec);
    expect(seen.sort(byJson)).toEqual([['a', 10], ['b', undefined], ['z', 0]].sort(byJson));
    expect(sortBatches(snapshots)).toEqual(sortBatches([[['a', 11], ['b', 1], ['z', 0]], [['a', 11], ['b', 1], ['z', 1]]]));
  });

  test('an initial state given as a Batch is re-partitioned by key', async () => {
    const spec = StateSpec.function((_key: string, value: number | undefined, state: State<number>) => {
      state.update((state.getOption() ?? 0) + value!);
    })
      .initialState(Batch.of<Pair<string, number>>([['p', 1], ['q', 2], ['r', 3], ['s', 4]], 4))
      .numPartitions(3);
    const { snapshots, snapshotPartitions } = await runMapWithState(words([['q']]), spec);
    expect(sortBatches(snapshots)).toEqual([[['p', 1], ['q', 3], ['r', 3], ['s', 4]]]);
    expect(keysByPartition(snapshotPartitions[0]!)).toEqual(expectedKeyPlacement(['p', 'q', 'r', 's'], 3));
  });
});

describe('mapWithState: partitions', () => {
  const keys = Array.from({ length: 24 }, (_, i) => `key-${i}`);
  const pairsOf = (ks: readonly string[], n: number): Batch<Pair<string, number>> => Batch.of(ks.map((k): Pair<string, number> => [k, 1]), n);
  const echoKey = StateSpec.function((key: string, value: number | undefined, state: State<number>) => {
    state.update((state.getOption() ?? 0) + (value ?? 0));
    return key;
  });

  test('numPartitions sets the partitions of the mapped records and of the snapshots, by key hash', async () => {
    const spec = StateSpec.function(echoKey.mappingFunction).initialState([['init', 0]]).numPartitions(3);
    const run = await runMapWithState([pairsOf(keys.slice(0, 12), 2), pairsOf(keys.slice(12), 5), []], spec);
    expect(run.outputPartitions.map((parts) => parts.length)).toEqual([3, 3, 3]);
    expect(run.snapshotPartitions.map((parts) => parts.length)).toEqual([3, 3, 3]);
    // A record is mapped in its key's partition.
    expect(run.outputPartitions[0]!.map((p) => [...p].sort())).toEqual(expectedKeyPlacement(keys.slice(0, 12), 3));
    expect(run.outputPartitions[1]!.map((p) => [...p].sort())).toEqual(expectedKeyPlacement(keys.slice(12), 3));
    expect(keysByPartition(run.snapshotPartitions[0]!)).toEqual(expectedKeyPlacement(['init', ...keys.slice(0, 12)], 3));
    expect(keysByPartition(run.snapshotPartitions[2]!)).toEqual(expectedKeyPlacement(['init', ...keys], 3));
  });

  test("without numPartitions the state keeps the first batch's number of partitions", async () => {
    const run = await runMapWithState([pairsOf(keys, 4), pairsOf(keys.slice(0, 5), 2), pairsOf(keys.slice(5), 1)], echoKey);
    expect(run.snapshotPartitions.map((parts) => parts.length)).toEqual([4, 4, 4]);
    expect(run.outputPartitions.map((parts) => parts.length)).toEqual([4, 4, 4]);
    expect(keysByPartition(run.snapshotPartitions[2]!)).toEqual(expectedKeyPlacement(keys, 4));
    expect(sortBatches(run.snapshots)[2]).toEqual(sortBatches([keys.map((k) => [k, 2])])[0]);
  });

  test('StateSpec rejects a bad number of partitions or timeout', () => {
    const spec = StateSpec.function((_k: string, _v: number | undefined, _s: State<number>) => 0);
    expect(() => spec.numPartitions(0)).toThrow(RangeError);
    expect(() => spec.numPartitions(2.5)).toThrow(/numPartitions/);
    expect(() => spec.timeout(0)).toThrow(InvalidDurationError);
    expect(() => spec.timeout(-5)).toThrow(InvalidDurationError);
  });
});

describe('mapWithState: timeouts', () => {
  /** Keeps a count per key; a timing-out key emits `timeout:<key>=<count>`, others nothing. */
  function counting(timeout: number) {
    const timingOutCalls: { key: string; value: number | undefined; exists: boolean; state: number | undefined }[] = [];
    const spec = StateSpec.function((key: string, value: number | undefined, state: State<number>): string | undefined => {
      if (state.isTimingOut()) {
        timingOutCalls.push({ key, value, exists: state.exists(), state: state.get() });
        return `timeout:${key}=${state.get()}`;
      }
      state.update((state.getOption() ?? 0) + value!);
      return undefined;
    }).timeout(timeout);
    return { spec, timingOutCalls };
  }

  test('a key times out in the first batch after it has been idle for longer than the timeout, with no new data', async () => {
    const { spec, timingOutCalls } = counting(Seconds(2));
    // k's last update is 1000: at 3000 it is exactly 2 s old (not timed out), at 4000 it is.
    const { outputs, snapshots } = await runMapWithState(words([['k', 'k', 'other'], ['other'], ['other'], ['other'], []]), spec);
    expect(defined(outputs)).toEqual([[], [], [], ['timeout:k=2'], []]);
    expect(timingOutCalls).toEqual([{ key: 'k', value: undefined, exists: true, state: 2 }]);
    expect(sortBatches(snapshots)).toEqual([
      [['k', 2], ['other', 1]],
      [['k', 2], ['other', 2]],
      [['k', 2], ['other', 3]],
      [['other', 4]],
      [['other', 4]],
    ]);
  });

  test('new data in the batch where a key would time out keeps it, and restarts its idle time', async () => {
    const { spec } = counting(Seconds(2));
    const { outputs, snapshots } = await runMapWithState(words([['k'], [], [], ['k'], [], [], [], []]), spec);
    // Data at 4000 refreshes k before the scan; it then times out at 7000 (4000 < 7000 - 2000).
    expect(defined(outputs)).toEqual([[], [], [], [], [], [], ['timeout:k=2'], []]);
    expect(snapshots.map((s) => s.length)).toEqual([1, 1, 1, 1, 1, 1, 0, 0]);
  });

  test('data refreshes the idle time even when the function does not update the state', async () => {
    const spec = StateSpec.function((key: string, value: number | undefined, state: State<number>): string | undefined => {
      if (state.isTimingOut()) return `timeout:${key}`;
      if (!state.exists()) state.update(value!);
      return undefined;
    }).timeout(Seconds(2));
    const { outputs } = await runMapWithState(words([['k'], [], ['k'], ['k'], [], [], []]), spec);
    // Last data at 4000 (the function left the state alone at 3000 and 4000): times out at 7000.
    expect(defined(outputs)).toEqual([[], [], [], [], [], [], ['timeout:k']]);
  });

  test('a timeout fires in a batch where the input has no batch at all', async () => {
    const { spec } = counting(Seconds(1));
    const { outputs, snapshots } = await runMapWithState([words([['k']])[0]!, null, null, null], spec);
    // Threshold at 3000 is 2000 > 1000.
    expect(defined(outputs)).toEqual([[], [], ['timeout:k=1'], []]);
    expect(snapshots).toEqual([[['k', 1]], [['k', 1]], [], []]);
  });

  test('a timeout that is not a multiple of the batch interval', async () => {
    const { spec } = counting(Milliseconds(2500));
    const { outputs } = await runMapWithState(words([['k'], [], [], [], []]), spec);
    // 1000 < t - 2500 first holds at t = 4000.
    expect(defined(outputs)).toEqual([[], [], [], ['timeout:k=1'], []]);
  });

  test('initial state times out when it gets no data (its update time is the first batch time)', async () => {
    const { spec } = counting(Seconds(2));
    spec.initialState([['init', 7]]);
    const { outputs, snapshots } = await runMapWithState(words([[], [], [], [], []]), spec);
    expect(defined(outputs)).toEqual([[], [], [], ['timeout:init=7'], []]);
    expect(snapshots).toEqual([[['init', 7]], [['init', 7]], [['init', 7]], [], []]);
  });

  test('a timed-out key is removed even if the function does nothing; new data later starts from no state', async () => {
    const existed: boolean[] = [];
    const spec = StateSpec.function((key: string, value: number | undefined, state: State<number>): string => {
      if (state.isTimingOut()) return `timeout:${key}=${state.get()}`;
      existed.push(state.exists());
      state.update((state.getOption() ?? 0) + value!);
      return `${key}=${state.get()}`;
    }).timeout(Seconds(1));
    const { outputs, snapshots } = await runMapWithState(words([['k'], ['k'], [], [], ['k']]), spec);
    expect(outputs).toEqual([['k=1'], ['k=2'], [], ['timeout:k=2'], ['k=1']]);
    expect(snapshots).toEqual([[['k', 1]], [['k', 2]], [['k', 2]], [], [['k', 1]]]);
    expect(existed).toEqual([false, true, false]);
  });

  test('without a timeout, idle keys are never removed', async () => {
    const { outputs, snapshots } = await runMapWithState(
      words([['idle']]),
      StateSpec.function((key: string, _value: number | undefined, state: State<number>) => {
        if (state.isTimingOut()) return key;
        state.update(1);
        return undefined;
      }),
      { numBatches: 30 },
    );
    expect(defined(outputs).flat()).toEqual([]);
    expect(snapshots.at(-1)).toEqual([['idle', 1]]);
  });

  test.each([
    ['update', (s: State<number>) => s.update(0), 'Cannot update the state that is timing out'],
    ['remove', (s: State<number>) => s.remove(), 'Cannot remove the state that is timing out'],
  ] as const)('%s() on a timing-out state fails the batch', async (_name, change, message) => {
    const spec = StateSpec.function((_key: string, value: number | undefined, state: State<number>) => {
      if (state.isTimingOut()) change(state);
      else state.update(value!);
    }).timeout(Seconds(1));
    const error = await rejectionOf(runMapWithState(words([['k'], [], []]), spec, { maxTaskFailures: 1 }));
    expect(error).toBeInstanceOf(JobFailedError);
    expect((error as JobFailedError).batchTime).toBe(3000);
    expect((error as JobFailedError).cause).toBeInstanceOf(IllegalStateError);
    expect((error as Error).message).toContain(message);
  });
});

describe('mapWithState: State API errors in the mapping function', () => {
  test.each([
    ['get() without a state', (s: State<number>) => s.get(), 'State is not set'],
    [
      'update() after remove()',
      (s: State<number>) => {
        s.remove();
        s.update(1);
      },
      'Cannot update the state after it has been removed',
    ],
    [
      'remove() twice',
      (s: State<number>) => {
        s.remove();
        s.remove();
      },
      'Cannot remove the state that has already been removed',
    ],
  ] as const)('%s fails the batch with an IllegalStateError', async (_name, misuse, message) => {
    const spec = StateSpec.function((_key: string, _value: number | undefined, state: State<number>) => {
      misuse(state);
    });
    const error = await rejectionOf(runMapWithState(words([['k']]), spec, { maxTaskFailures: 1 }));
    expect(error).toBeInstanceOf(JobFailedError);
    expect((error as JobFailedError).cause).toBeInstanceOf(IllegalStateError);
    expect((error as Error).message).toContain(message);
  });

  test('remove() then update() in different calls of the same batch is allowed (each call has a fresh State)', async () => {
    const spec = StateSpec.function((_key: string, value: number | undefined, state: State<number>) => {
      if (value === 0) state.remove();
      else state.update(value!);
    });
    const input: Pair<string, number>[][] = [[['k', 1], ['k', 0], ['k', 5]], [['k', 0]]];
    const { snapshots } = await runMapWithState(input, spec);
    expect(snapshots).toEqual([[['k', 5]], []]);
  });
});

describe('mapWithState: checkpointing and failures', () => {
  test.each([
    ['the mapped records', (m: DStream<unknown>, _s: DStream<unknown>) => m],
    ['only the state snapshots', (_m: DStream<unknown>, s: DStream<unknown>) => s],
  ])('start() fails with a GraphValidationError when no checkpoint directory is set (output: %s)', async (_name, pick) => {
    await withContext({ checkpoint: false }, async (ssc) => {
      const mapped = ssc
        .queueStream(words([['a']]))
        .mapWithState(StateSpec.function((_k: string, v: number | undefined, s: State<number>) => s.update(v!)));
      pick(mapped, mapped.stateSnapshots()).foreachRDD(() => {});
      const started = ssc.start();
      await expect(started).rejects.toThrow(GraphValidationError);
      await expect(started).rejects.toThrow(/checkpoint/);
      expect(ssc.state).toBe('initialized');
    });
  });

  const retryInput: Pair<string, number>[][] = [
    [['a', 1], ['b', 1]],
    [['a', 2], ['c', 2]],
    [['b', 3], ['b', 3], ['c', 3]],
    [['a', 4]],
    [],
  ];

  /** Running sums; `shouldThrow(key, value, state)` may make a call throw. */
  function runningSums(shouldThrow: (key: string, value: number | undefined, state: State<number>) => boolean) {
    return StateSpec.function((key: string, value: number | undefined, state: State<number>): Pair<string, number> => {
      if (shouldThrow(key, value, state)) throw new Error('flaky mapping function');
      const sum = (state.getOption() ?? 0) + value!;
      state.update(sum);
      return [key, sum];
    });
  }

  test('a batch retried after the mapping function threw has the same state and output as without the failure', async () => {
    const clean = await runMapWithState(retryInput, runningSums(() => false), { maxTaskFailures: 2 });
    expect(sortBatches(clean.outputs)).toEqual(
      sortBatches([[['a', 1], ['b', 1]], [['a', 3], ['c', 2]], [['b', 4], ['b', 7], ['c', 5]], [['a', 7]], []]),
    );
    const finalState = [['a', 7], ['b', 7], ['c', 5]];
    expect(sortBatches(clean.snapshots)).toEqual([[['a', 1], ['b', 1]], [['a', 3], ['b', 1], ['c', 2]], [['a', 3], ['b', 7], ['c', 5]], finalState, finalState]);

    // Throws once, on the second record of b in batch 3, after the first one updated b's state.
    let bCalls = 0;
    const attempts: OutputOperationInfo[] = [];
    const flaky = await runMapWithState(
      retryInput,
      runningSums((key, value) => key === 'b' && value === 3 && ++bCalls === 2),
      { maxTaskFailures: 2, listener: { onOutputOperationCompleted: (e) => void attempts.push(e.outputOperationInfo) } },
    );
    expect(bCalls).toBe(4);
    expect(sortBatches(flaky.outputs)).toEqual(sortBatches(clean.outputs));
    expect(sortBatches(flaky.snapshots)).toEqual(sortBatches(clean.snapshots));
    expect(attempts.filter((i) => i.attempts > 1).map((i) => [i.batchTime, i.id, i.attempts])).toEqual([[3000, 0, 2]]);
  });

  test('a timeout call that throws once is retried: the key times out exactly once', async () => {
    let thrown = false;
    const spec = StateSpec.function((key: string, value: number | undefined, state: State<number>): string | undefined => {
      if (state.isTimingOut()) {
        if (!thrown) {
          thrown = true;
          throw new Error('flaky timeout handler');
        }
        return `timeout:${key}=${state.get()}`;
      }
      state.update((state.getOption() ?? 0) + value!);
      return undefined;
    }).timeout(Seconds(1));
    const { outputs, snapshots } = await runMapWithState(words([['x', 'y'], ['y'], ['y'], []]), spec, { maxTaskFailures: 2 });
    expect(thrown).toBe(true);
    expect(defined(outputs)).toEqual([[], [], ['timeout:x=1'], []]);
    expect(sortBatches(snapshots)).toEqual([[['x', 1], ['y', 1]], [['x', 1], ['y', 2]], [['y', 3]], [['y', 3]]]);
  });

  test('a failure in an output operation does not re-apply the state', async () => {
    const spec = runningSums(() => false);
    const outputs = await withContext({ maxTaskFailures: 3 }, async (ssc) => {
      const out: Pair<string, number>[][] = [];
      let failures = 0;
      const mapped = new ScriptedStream(ssc, words([['a'], ['a'], ['a']])).mapWithState(spec);
      mapped.foreachRDD((batch, time) => {
        if (time === 2000 && failures++ < 2) throw new Error('flaky sink');
        out.push(batch.collect());
      });
      await runBatches(ssc, 3);
      return out;
    });
    expect(outputs).toEqual([[['a', 1]], [['a', 2]], [['a', 3]]]);
  });
});
