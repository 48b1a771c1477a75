// Per-partition task ordering: one task at a time on a partition's state, partitions in parallel.
import { describe, expect, it } from 'vitest';
import { PartitionLanes } from '../../src/scheduler/partition-lanes.js';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('PartitionLanes', () => {
  it('runs the tasks of one partition one after another, in submission order', async () => {
    const lanes = new PartitionLanes(2);
    const log: string[] = [];
    let active = 0;
    let maxActive = 0;
    const task = (name: string, ms: number) => async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      log.push(`start ${name}`);
      await tick(ms);
      log.push(`end ${name}`);
      active--;
      return name;
    };
    const results = await Promise.all([lanes.run(0, task('a', 20)), lanes.run(0, task('b', 1)), lanes.run(0, task('c', 5))]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(maxActive).toBe(1);
  });

  it('runs different partitions at once', async () => {
    const lanes = new PartitionLanes(3);
    let active = 0;
    let maxActive = 0;
    const task = async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await tick(15);
      active--;
    };
    await Promise.all([lanes.run(0, task), lanes.run(1, task), lanes.run(2, task)]);
    expect(maxActive).toBe(3);
  });

  it('a failed task fails its own promise only; the next task of the partition still runs after it', async () => {
    const lanes = new PartitionLanes(1);
    const order: string[] = [];
    const failing = lanes.run(0, async () => {
      await tick(5);
      order.push('failing');
      throw new Error('boom');
    });
    const next = lanes.run(0, () => {
      order.push('next');
      return 42;
    });
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe(42);
    expect(order).toEqual(['failing', 'next']);
    await lanes.idle();
  });

  it('rejects a partition it does not have and a non-positive count', () => {
    expect(() => new PartitionLanes(0)).toThrow(/positive integer/);
    const lanes = new PartitionLanes(2);
    expect(() => lanes.run(2, () => 1)).toThrow(/no partition 2/);
  });
});
