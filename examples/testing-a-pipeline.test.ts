// How to unit-test your own pipeline with sluice/testing: no real time passes, batches are the
// inner arrays, and the result is one array per batch in which the output produced something.
import { expect, test } from 'vitest';
import { Seconds, type DStream } from 'sluice';
import { testOperation } from 'sluice/testing';

// The pipeline under test: running counts of error codes in log lines.
function errorCounts(lines: DStream<string>): DStream<[string, number]> {
  return lines
    .filter((l) => l.startsWith('ERROR'))
    .map((l) => [l.split(' ')[1]!, 1] as [string, number])
    .updateStateByKey((values: number[], total: number | undefined) => (total ?? 0) + values.length);
}

test('error counts accumulate across batches', async () => {
  const output = await testOperation(
    [['ERROR E1 disk', 'INFO ok'], ['ERROR E2 net', 'ERROR E1 disk'], []],
    errorCounts,
    { batchInterval: Seconds(1) },
  );
  const sorted = output.map((batch) => batch.sort(([a], [b]) => a.localeCompare(b)));
  expect(sorted).toEqual([
    [['E1', 1]],
    [['E1', 2], ['E2', 1]],
    [['E1', 2], ['E2', 1]],
  ]);
});
