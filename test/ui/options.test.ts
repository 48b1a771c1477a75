import { describe, expect, it } from 'vitest';
import { Milliseconds, SluiceError, StreamingContext } from '../../src/index.js';
import { isLoopback, resolveUiOptions } from '../../src/ui/options.js';

describe('ui options', () => {
  it('is on by default on 127.0.0.1:4040 keeping 1000 batches, without a token', () => {
    expect(resolveUiOptions(undefined, {})).toEqual({ port: 4040, host: '127.0.0.1', token: undefined, retainedBatches: 1000 });
  });

  it('SLUICE_UI=false turns the default off, but not a UI asked for explicitly', () => {
    for (const flag of ['false', 'FALSE', '0', 'off', 'no']) expect(resolveUiOptions(undefined, { SLUICE_UI: flag })).toBeUndefined();
    expect(resolveUiOptions(undefined, { SLUICE_UI: 'true' })).toBeDefined();
    expect(resolveUiOptions({ port: 0 }, { SLUICE_UI: 'false' })).toMatchObject({ port: 0 });
    expect(resolveUiOptions(false, {})).toBeUndefined();
  });

  it('rejects bad values with messages naming the option', () => {
    expect(() => resolveUiOptions({ port: 70_000 }, {})).toThrow(/ui\.port must be an integer from 0 to 65535/);
    expect(() => resolveUiOptions({ port: 1.5 }, {})).toThrow(/ui\.port/);
    expect(() => resolveUiOptions({ retainedBatches: 0 }, {})).toThrow(/ui\.retainedBatches must be a positive integer/);
    expect(() => resolveUiOptions({ token: '' }, {})).toThrow(/ui\.token must be a non-empty string/);
    expect(() => resolveUiOptions({ host: ' ' }, {})).toThrow(/ui\.host/);
    expect(() => resolveUiOptions(true as never, {})).toThrow(/ui must be false or an options object/);
  });

  it('requires a token for any host other machines can reach', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'example.com']) {
      const error = (() => {
        try {
          resolveUiOptions({ host }, {});
        } catch (e) {
          return e as Error;
        }
        throw new Error(`no error for ${host}`);
      })();
      expect(error).toBeInstanceOf(SluiceError);
      expect(error.message).toContain(`listen on ${host}`);
      expect(error.message).toContain('pass ui.token');
    }
    expect(resolveUiOptions({ host: '0.0.0.0', token: 's3cret' }, {})).toMatchObject({ host: '0.0.0.0', token: 's3cret' });
  });

  it('a StreamingContext refuses a non-loopback UI without a token when constructed', () => {
    expect(() => new StreamingContext({ batchInterval: Milliseconds(100), ui: { host: '0.0.0.0' } })).toThrow(/pass ui\.token/);
  });

  it('knows loopback addresses', () => {
    for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]', '::ffff:127.0.0.1', 'app.localhost', 'LOCALHOST']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'localhost.example.com', 'example.com', '::2']) expect(isLoopback(h), h).toBe(false);
  });
});
