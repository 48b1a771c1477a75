/**
 * Spark's `PIDRateEstimator`: from each completed batch (records, processing and scheduling
 * delay) it estimates the rate, in records per second, that the pipeline can keep up with.
 * Transcribed with Spark's defaults (proportional 1.0, integral 0.2, derivative 0, minimum rate
 * 100), including its first run: the first batch only seeds the estimate and yields none.
 */
import type { Duration, Time } from '../../time.js';

export interface PidOptions {
  /** Weight of the current error (processing rate vs the rate last set). Default 1.0. */
  proportional?: number;
  /** Weight of the accumulated error, i.e. the scheduling delay's backlog. Default 0.2. */
  integral?: number;
  /** Weight of the error's change. Default 0. */
  derivative?: number;
  /** The estimate never drops below this (records/s). Default 100. */
  minRate?: number;
}

export class PidRateEstimator {
  private firstRun = true;
  private latestTime: Time = -1;
  private latestRate = -1;
  private latestError = -1;
  private readonly proportional: number;
  private readonly integral: number;
  private readonly derivative: number;
  private readonly minRate: number;

  constructor(
    private readonly batchInterval: Duration,
    options: PidOptions = {},
  ) {
    this.proportional = options.proportional ?? 1.0;
    this.integral = options.integral ?? 0.2;
    this.derivative = options.derivative ?? 0;
    this.minRate = options.minRate ?? 100;
    const checks: [string, number, boolean][] = [
      ['batchInterval', batchInterval, batchInterval > 0],
      ['proportional', this.proportional, this.proportional >= 0],
      ['integral', this.integral, this.integral >= 0],
      ['derivative', this.derivative, this.derivative >= 0],
      ['minRate', this.minRate, this.minRate > 0],
    ];
    for (const [name, value, ok] of checks) {
      if (!(Number.isFinite(value) && ok)) throw new RangeError(`Backpressure: ${name} must be ${name === 'minRate' || name === 'batchInterval' ? '> 0' : '>= 0'}, got ${value}`);
    }
  }

  /**
   * The new rate estimate after a batch that completed at `time`, or `undefined` when there is
   * none (the first batch, an empty batch, or a time not after the last update).
   */
  compute(time: Time, numElements: number, processingDelay: Duration, schedulingDelay: Duration): number | undefined {
    if (!(time > this.latestTime && numElements > 0 && processingDelay > 0)) return undefined;
    const delaySinceUpdate = (time - this.latestTime) / 1000;
    const processingRate = (numElements / processingDelay) * 1000;
    // The rate set last time minus the rate actually achieved: positive when it was too high.
    const error = this.latestRate - processingRate;
    // The scheduling delay is a backlog: the records it represents, spread over an interval.
    const historicalError = (schedulingDelay * processingRate) / this.batchInterval;
    const dError = (error - this.latestError) / delaySinceUpdate;
    const newRate = Math.max(
      this.latestRate - this.proportional * error - this.integral * historicalError - this.derivative * dError,
      this.minRate,
    );
    this.latestTime = time;
    if (this.firstRun) {
      this.latestRate = processingRate;
      this.latestError = 0;
      this.firstRun = false;
      return undefined;
    }
    this.latestRate = newRate;
    this.latestError = error;
    return newRate;
  }
}
