import type { StreamInputInfo } from './listener.js';
import type { Time } from '../time.js';

/** One output operation's work for one batch. */
export interface Job {
  readonly time: Time;
  readonly outputId: number;
  readonly name: string;
  readonly description: string;
  run(): Promise<void>;
}

/** The jobs of one batch time, run together, in output-definition order. */
export interface JobSet {
  readonly time: Time;
  readonly jobs: readonly Job[];
  readonly inputInfos: ReadonlyMap<number, StreamInputInfo>;
  readonly submissionTime: Time;
}
