import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../../errors.js';
import { bioToSpans, splitTokens } from './bio-spans.js';

/** Surface text of every span, for readable expectations. */
function surfaces(tokens: string[], tags: string[]): [string, string][] {
  const { text, slots } = bioToSpans(tokens, tags);
  return slots.map((s) => [s.slot, text.slice(s.start, s.end)]);
}

describe('bioToSpans', () => {
  it('joins tokens with single spaces and gives character offsets', () => {
    const result = bioToSpans(['play', 'the', 'beatles', 'on', 'spotify'], ['O', 'O', 'B-artist', 'O', 'B-service']);
    expect(result.text).toBe('play the beatles on spotify');
    expect(result.slots).toEqual([
      { slot: 'artist', start: 9, end: 16 },
      { slot: 'service', start: 20, end: 27 },
    ]);
  });

  it('extends a span over I- tags of the same slot', () => {
    expect(surfaces(['fly', 'to', 'new', 'york', 'city'], ['O', 'O', 'B-city', 'I-city', 'I-city'])).toEqual([['city', 'new york city']]);
  });

  it('starts a new span at B- even right after the same slot', () => {
    expect(surfaces(['a', 'b'], ['B-x', 'B-x'])).toEqual([['x', 'a'], ['x', 'b']]);
  });

  it('treats an I- without a B- as the start of a span (conlleval)', () => {
    expect(surfaces(['a', 'b', 'c'], ['I-x', 'I-x', 'O'])).toEqual([['x', 'a b']]);
    expect(surfaces(['a', 'b', 'c'], ['O', 'I-x', 'I-x'])).toEqual([['x', 'b c']]);
  });

  it('starts a new span when I- changes slot', () => {
    expect(surfaces(['a', 'b', 'c'], ['B-x', 'I-y', 'I-y'])).toEqual([['x', 'a'], ['y', 'b c']]);
  });

  it('keeps slot names with dots and hyphens (ATIS style)', () => {
    expect(surfaces(['from', 'boston'], ['O', 'B-fromloc.city_name'])).toEqual([['fromloc.city_name', 'boston']]);
    expect(surfaces(['x'], ['B-a-b'])).toEqual([['a-b', 'x']]);
  });

  it('handles non-ASCII tokens by UTF-16 offsets, as String.slice does', () => {
    expect(surfaces(['50', 'clásicos', 'playlist'], ['B-p', 'I-p', 'O'])).toEqual([['p', '50 clásicos']]);
  });

  it('rejects misaligned and malformed tags', () => {
    expect(() => bioToSpans(['a', 'b'], ['O'])).toThrow(DatasetError);
    expect(() => bioToSpans(['a'], ['B-'])).toThrow(/invalid BIO tag/);
    expect(() => bioToSpans(['a'], ['X-city'])).toThrow(/invalid BIO tag/);
  });

  it('returns empty text and no spans for an empty utterance', () => {
    expect(bioToSpans([], [])).toEqual({ text: '', slots: [] });
  });
});

describe('splitTokens', () => {
  it('ignores leading, trailing and repeated whitespace', () => {
    expect(splitTokens('  add step\tto  me ')).toEqual(['add', 'step', 'to', 'me']);
  });
});

/** Tags written back from spans: B- on the first token of a span, I- on the rest. */
function spansToTags(tokens: string[], text: string, slots: { slot: string; start: number; end: number }[]): string[] {
  const starts: number[] = [];
  let offset = 0;
  for (const token of tokens) {
    starts.push(offset);
    offset += token.length + 1;
  }
  return starts.map((start) => {
    const span = slots.find((s) => start >= s.start && start < s.end);
    if (!span) return 'O';
    return start === span.start ? `B-${span.slot}` : `I-${span.slot}`;
  });
}

/** conlleval's reading of a tag sequence: an I- that does not continue its slot is a B-. */
function repairTags(tags: string[]): string[] {
  return tags.map((tag, i) => {
    if (!tag.startsWith('I-')) return tag;
    const prev = tags[i - 1];
    const continues = prev !== undefined && prev !== 'O' && prev.slice(2) === tag.slice(2);
    return continues ? tag : `B-${tag.slice(2)}`;
  });
}

describe('bioToSpans properties', () => {
  const token = fc.stringMatching(/^[^\s]{1,6}$/);
  const tag = fc.oneof(fc.constant('O'), fc.constantFrom('x', 'y', 'z.w').chain((slot) => fc.constantFrom(`B-${slot}`, `I-${slot}`)));
  const sentence = fc.array(fc.tuple(token, tag), { maxLength: 12 });

  it('spans lie on token boundaries, in order, without overlap, and round-trip to the repaired tags', () => {
    fc.assert(
      fc.property(sentence, (pairs) => {
        const tokens = pairs.map(([t]) => t);
        const tags = pairs.map(([, t]) => t);
        const { text, slots } = bioToSpans(tokens, tags);
        expect(text).toBe(tokens.join(' '));
        for (let i = 1; i < slots.length; i++) expect(slots[i].start).toBeGreaterThan(slots[i - 1].end);
        for (const span of slots) {
          expect(span.start === 0 || text[span.start - 1] === ' ').toBe(true);
          expect(span.end === text.length || text[span.end] === ' ').toBe(true);
        }
        expect(spansToTags(tokens, text, slots)).toEqual(repairTags(tags));
      }),
    );
  });
});
