import { describe, expect, it } from 'vitest';
import { createDecoder } from '../../../src/sources/decode/decoder.js';
import { bytes, cat, enc, reasons } from './helpers.js';

describe('text records', () => {
  it('decodes each payload to one string, exactly: unicode, empty, newlines, a BOM', () => {
    const strings = ['plain', '', 'é accentué', '€ 😀 中文', 'line\nbreak\r\n', '\ufeffbom kept', '\u0000nul', 'x'.repeat(10_000)];
    const many = Array.from({ length: 5000 }, (_, i) => `record ${i} ${strings[i % strings.length]!.slice(0, 20)}`);
    const r = createDecoder({ format: 'text' }).decode([...strings, ...many].map(enc));
    expect(r.malformed).toEqual([]);
    expect(r.records).toBe(strings.length + many.length);
    expect(r.batch.count()).toBe(strings.length + many.length);
    expect(r.batch.collect()).toEqual([...strings, ...many]);
  });

  it('is the default format', () => {
    const d = createDecoder();
    expect(d.format).toBe('text');
    expect(d.decode([enc('a'), enc('b')]).batch.collect()).toEqual(['a', 'b']);
  });

  it('makes invalid UTF-8 and oversize payloads malformed, with their reasons and bytes', () => {
    const invalid = [cat(enc('ok '), bytes(0xff)), cat(enc('ab'), bytes(0xc3, 0x28)), bytes(0xed, 0xa0, 0x80), cat(enc('é'), bytes(0xe2, 0x82))];
    const big = enc('y'.repeat(11));
    const r = createDecoder({ format: 'text', maxMessageBytes: 10 }).decode([enc('first'), ...invalid, big, enc('x'.repeat(10))]);
    expect(reasons(r)).toEqual(['text: invalid UTF-8 at byte 3', 'text: invalid UTF-8 at byte 2', 'text: invalid UTF-8 at byte 0', 'text: invalid UTF-8 at byte 2', 'oversize: 11 bytes > 10']);
    expect(r.malformed.map((m) => m.raw)).toEqual([...invalid, big]);
    expect(r.malformed[0]!.raw).toBe(invalid[0]);
    expect(r.batch.collect()).toEqual(['first', 'x'.repeat(10)]);
  });

  it('decodes no payloads to an empty batch', () => {
    const r = createDecoder({ format: 'text' }).decode([]);
    expect(r.records).toBe(0);
    expect(r.batch.count()).toBe(0);
    expect(r.malformed).toEqual([]);
  });
});
