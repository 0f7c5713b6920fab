// Text data for language models: tokenizer, the sonnets corpus and its split, count baselines, (x, y) windows.
import { describe, expect, it } from 'vitest';
import { DataError, OptionError } from '../src/core/errors.js';
import { bigramBaseline, charTokenizer, formatSonnets, loadSonnets, roman, sequenceBatches, sequenceWindows, type Sonnet } from '../src/data/text.js';

describe('charTokenizer', () => {
  it('has the sorted distinct characters as vocabulary and round-trips text', () => {
    const tok = charTokenizer('hello, world\n');
    expect(tok.vocab).toEqual(['\n', ' ', ',', 'd', 'e', 'h', 'l', 'o', 'r', 'w']);
    expect(tok.size).toBe(10);
    expect([...tok.encode('hello')]).toEqual([5, 4, 6, 6, 7]);
    expect(tok.encode('')).toEqual(new Uint32Array(0));
    for (const s of ['hello, world\n', 'word\nlore', '']) expect(tok.decode(tok.encode(s))).toBe(s);
  });

  it('counts a character outside the Basic Multilingual Plane as one token', () => {
    const tok = charTokenizer('a🎲b');
    expect(tok.vocab).toEqual(['a', 'b', '🎲']);
    expect([...tok.encode('🎲a🎲')]).toEqual([2, 0, 2]);
    expect(tok.decode([2, 1])).toBe('🎲b');
  });

  it('names an unknown character and its index, an id out of range and its index, and refuses empty text', () => {
    const tok = charTokenizer('abc');
    expect(() => tok.encode('abxc')).toThrow(DataError);
    expect(() => tok.encode('abxc')).toThrow(/character "x" at index 2 is not in the vocabulary of 3/);
    expect(() => tok.decode([0, 3])).toThrow(/id 3 at index 1 .*\[0, 3\)/);
    expect(() => tok.decode([0.5])).toThrow(DataError);
    expect(() => charTokenizer('')).toThrow(/non-empty string, got an empty string/);
    expect(() => charTokenizer(42 as unknown as string)).toThrow(DataError);
  });
});

describe('sonnets corpus', () => {
  it('formats a sonnet as a Roman numeral title line, its lines without trailing spaces, a blank line between', () => {
    const text = formatSonnets([
      { number: 4, lines: ['Unthrifty loveliness, ', 'why dost thou spend'] },
      { number: 9, lines: ['Is it for fear'] },
    ]);
    expect(text).toBe('IV\nUnthrifty loveliness,\nwhy dost thou spend\n\nIX\nIs it for fear\n');
    expect([1, 14, 40, 49, 99, 126, 140, 154].map(roman)).toEqual(['I', 'XIV', 'XL', 'XLIX', 'XCIX', 'CXXVI', 'CXL', 'CLIV']);
  });

  it('splits the 154 sonnets into I-CXXXIX for training and CXL-CLIV for validation, whole and without overlap', async () => {
    const { train, validation, tokenizer, trainSonnets, validationSonnets } = await loadSonnets();
    expect(trainSonnets).toEqual([1, 139]);
    expect(validationSonnets).toEqual([140, 154]);
    const titles = (t: string) => t.split('\n\n').map((block) => block.split('\n')[0]);
    expect(titles(train)).toEqual(Array.from({ length: 139 }, (_, i) => roman(i + 1)));
    expect(titles(validation)).toEqual(Array.from({ length: 15 }, (_, i) => roman(i + 140)));
    // Each sonnet is a title and its lines: 14 of them but for XCIX (15) and CXXVI (12).
    const lengths = (t: string) =>
      t
        .trimEnd()
        .split('\n\n')
        .map((block) => block.split('\n').length - 1);
    expect(lengths(train).filter((n) => n !== 14)).toEqual([15, 12]);
    expect(lengths(validation).every((n) => n === 14)).toBe(true);
    expect(train.startsWith('I\nFrom fairest creatures we desire increase,\n')).toBe(true);
    expect(validation.startsWith('CXL\nBe wise as thou art cruel;')).toBe(true);
    expect(validation.endsWith("Love's fire heats water, water cools not love.\n")).toBe(true);
    // No line of validation appears in training (the sonnets share no line).
    const trainLines = new Set(train.split('\n').filter((l) => l.length > 5));
    expect(validation.split('\n').filter((l) => trainLines.has(l))).toEqual([]);
    expect(train.length + validation.length).toBeGreaterThan(90_000);
    expect(validation.length / (train.length + validation.length)).toBeGreaterThan(0.08);
    expect(validation.length / (train.length + validation.length)).toBeLessThan(0.12);
    expect(tokenizer.decode(tokenizer.encode(train + '\n' + validation))).toBe(train + '\n' + validation);
    expect(tokenizer.vocab).toContain('\n');
    expect(train).not.toMatch(/ \n/);
  });

  it('is the same text on every call', async () => {
    const [a, b] = await Promise.all([loadSonnets(), loadSonnets()]);
    expect(a.train).toBe(b.train);
    expect(a.validation).toBe(b.validation);
    expect(a.tokenizer.vocab).toEqual(b.tokenizer.vocab);
  });

  it('rejects a source with malformed sonnets as a DataError naming the sonnet', async () => {
    const bad = [
      { number: 1, lines: ['a'] },
      { number: 2, lines: [7] },
    ] as unknown as Sonnet[];
    await expect(loadSonnets({ source: async () => bad })).rejects.toThrow(/sonnet at index 1 must be/);
    await expect(loadSonnets({ source: async () => [] })).rejects.toThrow(DataError);
  });
});

describe('bigramBaseline', () => {
  it('matches a hand-computed add-1 example', () => {
    // Train 0 1 0 1 1: transitions 0>1 twice, 1>0, 1>1; tokens 0 twice, 1 three times. With k = 1, V = 2:
    // P(1|0) = (2+1)/(2+2) = 3/4, P(1|1) = P(0|1) = (1+1)/(2+2) = 1/2; P(0) = (2+1)/(5+2) = 3/7, P(1) = 4/7.
    // Validation 0 1 1 0 predicts 1 after 0, 1 after 1, 0 after 1.
    const r = bigramBaseline([0, 1, 0, 1, 1], Uint32Array.of(0, 1, 1, 0), 2, { smoothing: 1 });
    expect(r.transitions).toBe(3);
    expect(r.bitsPerChar).toBeCloseTo((Math.log2(4 / 3) + 1 + 1) / 3, 12);
    expect(r.nats).toBeCloseTo((Math.log(4 / 3) + 2 * Math.log(2)) / 3, 12);
    expect(r.unigramBitsPerChar).toBeCloseTo((2 * Math.log2(7 / 4) + Math.log2(7 / 3)) / 3, 12);
    expect(r.unigramNats).toBeCloseTo(r.unigramBitsPerChar * Math.LN2, 12);
  });

  it('with k = 0.5 and a character never seen in training', () => {
    // V = 3, train 0 1 0: transitions 0>1, 1>0. P(2|1) = (0+0.5)/(1+1.5) = 1/5; P(2) = 0.5/(3+1.5) = 1/9.
    const r = bigramBaseline([0, 1, 0], [1, 2], 3, { smoothing: 0.5 });
    expect(r.bitsPerChar).toBeCloseTo(Math.log2(5), 12);
    expect(r.unigramBitsPerChar).toBeCloseTo(Math.log2(9), 12);
  });

  it('beats the uniform log2(V) and the unigram on the sonnets', async () => {
    const { train, validation, tokenizer } = await loadSonnets();
    const r = bigramBaseline(tokenizer.encode(train), tokenizer.encode(validation), tokenizer.size, { smoothing: 1 });
    expect(r.transitions).toBe([...validation].length - 1);
    expect(r.unigramBitsPerChar).toBeLessThan(Math.log2(tokenizer.size));
    expect(r.bitsPerChar).toBeLessThan(r.unigramBitsPerChar);
    // Measured: 3.44 bits (bigram, k = 1) and 4.54 (unigram) against log2(62) = 5.95.
    expect(r.bitsPerChar).toBeGreaterThan(3.3);
    expect(r.bitsPerChar).toBeLessThan(3.6);
    expect(r.unigramBitsPerChar).toBeGreaterThan(4.4);
    expect(r.unigramBitsPerChar).toBeLessThan(4.7);
  });

  it('rejects bad V, smoothing and ids with typed errors', () => {
    expect(() => bigramBaseline([0, 1], [0, 1], 0)).toThrow(OptionError);
    expect(() => bigramBaseline([0, 1], [0, 1], 2, { smoothing: 0 })).toThrow(/smoothing must be a finite number > 0, got 0/);
    expect(() => bigramBaseline([0, 1], [0, 2], 2)).toThrow(/validationIds: id 2 at index 1 is not an integer in \[0, 2\)/);
    expect(() => bigramBaseline([0, 1], [0], 2)).toThrow(/at least 2 ids, got 1/);
    expect(() => bigramBaseline([0, -1], [0, 1], 2)).toThrow(DataError);
  });
});

describe('sequenceBatches', () => {
  const ids = Uint32Array.from({ length: 50 }, (_, i) => (i * 7) % 11);

  it('gives windows of ids and targets shifted by one, the same for the same seed', () => {
    const a = sequenceBatches(ids, { context: 8, batch: 4, seed: 3 });
    const b = sequenceBatches(ids, { context: 8, batch: 4, seed: 3 });
    const c = sequenceBatches(ids, { context: 8, batch: 4, seed: 4 });
    expect(a.windows).toBe(42);
    const [a1, a2, b1, b2, c1] = [a.next(), a.next(), b.next(), b.next(), c.next()];
    expect(a1).toEqual(b1);
    expect(a2).toEqual(b2);
    expect(a1.starts).not.toEqual(a2.starts);
    expect(c1.starts).not.toEqual(a1.starts);
    expect(a1.x.length).toBe(32);
    expect(a1.rows).toBe(4);
    a1.starts.forEach((s, r) => {
      expect([...a1.x.subarray(r * 8, r * 8 + 8)]).toEqual([...ids.subarray(s, s + 8)]);
      expect([...a1.y.subarray(r * 8, r * 8 + 8)]).toEqual([...ids.subarray(s + 1, s + 9)]);
    });
  });

  it('never reads past the end and reaches both the first and the last window', () => {
    // context 4 over 6 ids: two windows, starts 0 and 1; the last target is the last id.
    const short = Uint32Array.of(10, 11, 12, 13, 14, 15);
    const sampler = sequenceBatches(short, { context: 4, batch: 16, seed: 1 });
    const seen = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const { starts, y } = sampler.next();
      starts.forEach((s) => seen.add(s));
      expect(Math.max(...y)).toBeLessThanOrEqual(15);
    }
    expect([...seen].sort()).toEqual([0, 1]);
    const one = sequenceBatches(short.subarray(0, 5), { context: 4, batch: 3 }).next();
    expect([...one.y]).toEqual([11, 12, 13, 14, 11, 12, 13, 14, 11, 12, 13, 14]);
  });

  it('rejects too few ids, a bad context, batch or seed', () => {
    expect(() => sequenceBatches(ids, { context: 50, batch: 1 })).toThrow(/at least 51 ids, got 50/);
    expect(() => sequenceBatches(ids, { context: 0, batch: 1 })).toThrow(OptionError);
    expect(() => sequenceBatches(ids, { context: 4, batch: 2.5 })).toThrow(/batch must be an integer >= 1, got 2.5/);
    expect(() => sequenceBatches(ids, { context: 4, batch: 2, seed: 0.1 })).toThrow(OptionError);
    expect(() => sequenceBatches([0, 1, -2, 3, 4, 5], { context: 4, batch: 2 })).toThrow(/id -2 at index 2/);
  });
});

describe('sequenceWindows', () => {
  const ids = Uint32Array.from({ length: 11 }, (_, i) => 100 + i);

  it('lays out every window at the stride that has a next id for its last target', () => {
    const w = sequenceWindows(ids, 3, 2);
    // Starts 0, 2, 4, 6: the window at 6 ends at id 8 and its target at id 9; the one at 8 would need id 11.
    expect([...w.starts]).toEqual([0, 2, 4, 6]);
    expect(w.rows).toBe(4);
    expect([...w.x]).toEqual([100, 101, 102, 102, 103, 104, 104, 105, 106, 106, 107, 108]);
    expect([...w.y]).toEqual([101, 102, 103, 103, 104, 105, 105, 106, 107, 107, 108, 109]);
  });

  it('defaults to non-overlapping windows and uses the last id when it fits exactly', () => {
    const w = sequenceWindows(ids, 5);
    expect([...w.starts]).toEqual([0, 5]);
    expect(w.y[w.y.length - 1]).toBe(110);
    expect(sequenceWindows(ids, 10).rows).toBe(1);
    expect(() => sequenceWindows(ids, 11)).toThrow(DataError);
    expect(() => sequenceWindows(ids, 3, 0)).toThrow(/stride must be an integer >= 1, got 0/);
  });
});
