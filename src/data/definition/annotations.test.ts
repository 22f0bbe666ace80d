import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SlotSpan } from '../types.js';
import { AnnotationError, formatAnnotatedExample, parseAnnotatedExample } from './annotations.js';

/** The problem and column of the AnnotationError that `source` raises. */
function annotationError(source: string): { column: number; problem: string } {
  try {
    parseAnnotatedExample(source);
  } catch (error) {
    if (error instanceof AnnotationError) return { column: error.column, problem: error.problem };
    throw error;
  }
  throw new Error(`no error for ${source}`);
}

describe('parseAnnotatedExample', () => {
  it('returns clean text and offsets of each span', () => {
    const parsed = parseAnnotatedExample('remind me to [call mom](task) [tomorrow at 5pm](when)');
    expect(parsed.text).toBe('remind me to call mom tomorrow at 5pm');
    expect(parsed.slots).toEqual([
      { slot: 'task', start: 13, end: 21 },
      { slot: 'when', start: 22, end: 37 },
    ]);
    expect(parsed.sourceColumns).toEqual([14, 31]);
    expect(parsed.warnings).toEqual([]);
  });

  it('reads a value from the (slot:value) shorthand', () => {
    const parsed = parseAnnotatedExample('add eggs to my [groceries](list:shopping) list');
    expect(parsed.slots).toEqual([{ slot: 'list', start: 15, end: 24, value: 'shopping' }]);
  });

  it('reads Rasa entity dictionaries with a value', () => {
    const parsed = parseAnnotatedExample('flights to [NYC]{"entity": "city", "value": "New York"} please');
    expect(parsed.text).toBe('flights to NYC please');
    expect(parsed.slots).toEqual([{ slot: 'city', start: 11, end: 14, value: 'New York' }]);
  });

  it('ignores Rasa roles and groups with a warning at their column', () => {
    const parsed = parseAnnotatedExample('from [Berlin]{"entity": "city", "role": "departure", "group": "1"}');
    expect(parsed.slots).toEqual([{ slot: 'city', start: 5, end: 11 }]);
    expect(parsed.warnings).toEqual([
      { column: 14, message: '"role" in entity annotation ignored (Duet has no entity roles or groups)' },
      { column: 14, message: '"group" in entity annotation ignored (Duet has no entity roles or groups)' },
    ]);
  });

  it('uses the first entity of a Rasa entity list', () => {
    const parsed = parseAnnotatedExample('[Paris][{"entity": "city"}, {"entity": "destination"}]');
    expect(parsed.slots).toEqual([{ slot: 'city', start: 0, end: 5 }]);
    expect(parsed.warnings).toEqual([{ column: 8, message: 'only the first entity of an entity list is used' }]);
  });

  it('keeps spaces inside brackets in the text but not in the span', () => {
    const parsed = parseAnnotatedExample('call [ mom ](who)');
    expect(parsed.text).toBe('call  mom ');
    expect(parsed.slots).toEqual([{ slot: 'who', start: 6, end: 9 }]);
  });

  it('treats escaped brackets and backslashes as text', () => {
    expect(parseAnnotatedExample('a \\[note\\] and C:\\temp \\\\').text).toBe('a [note] and C:\\temp \\');
  });

  it('drops a value equal to the surface text', () => {
    expect(parseAnnotatedExample('[todo](list:todo)').slots).toEqual([{ slot: 'list', start: 0, end: 4 }]);
  });

  it.each([
    ['hello [there', 7, "'[' is never closed; write '\\[' for a literal bracket"],
    ['hello there]', 12, "unexpected ']' without a matching '['; write '\\]' for a literal bracket"],
    ['a [b [c](x)](y)', 6, "annotations cannot be nested; write '\\[' for a literal bracket"],
    ['see [note] here', 5, "'[note]' must be followed by '(slot)' or '{\"entity\": \"slot\"}'; write '\\[' for a literal bracket"],
    ['[mom](task', 6, "'(' is never closed"],
    ['[mom]()', 6, "missing slot name in '(...)'"],
    ['[mom](my task)', 7, "invalid slot name 'my task' (use letters, digits, '_', '.', '-', '/')"],
    ['[mom](task:)', 11, "empty value after 'task:'"],
    ['[](task)', 1, "annotation '[]' has no text"],
    ['x [NYC]{"entity": city}', 8, 'invalid JSON in entity annotation: '],
    ['[NYC]{"value": "x"}', 6, 'entity annotation needs a non-empty "entity" string'],
    ['[NYC]{"entity": "city"', 6, "'{' is never closed"],
    ['[NYC][]', 6, 'empty entity list'],
  ])('rejects %j at column %i', (source, column, problem) => {
    const error = annotationError(source);
    expect(error.column).toBe(column);
    expect(error.problem.startsWith(problem)).toBe(true);
  });
});

describe('formatAnnotatedExample', () => {
  it('writes the shorthand when it round-trips and JSON otherwise', () => {
    const text = 'remind me to call mom (dad) at 5pm';
    const out = formatAnnotatedExample(text, [
      { slot: 'when', start: 31, end: 34, value: '17:00' },
      { slot: 'task', start: 13, end: 27, value: 'call (mom)' },
    ]);
    expect(out).toBe('remind me to [call mom (dad)]{"entity":"task","value":"call (mom)"} at [5pm](when:17:00)');
  });

  it('rejects overlapping spans', () => {
    expect(() =>
      formatAnnotatedExample('abcdef', [
        { slot: 'a', start: 0, end: 3 },
        { slot: 'b', start: 2, end: 4 },
      ]),
    ).toThrow(/overlaps/);
  });
});

/** Text over an alphabet rich in characters the annotation syntax treats specially. */
const textArb = fc.string({
  unit: fc.constantFrom('a', 'b', 'z', ' ', '[', ']', '(', ')', '{', '}', '\\', ':', '"', ',', 'é', '5'),
  maxLength: 40,
});
const slotArb = fc.constantFrom('task', 'when', 'a.b', 'x-y', 'city/name', 'größe', 'has space', 'colon:slot');
const valueArb = fc.option(fc.string({ unit: fc.constantFrom('v', ' ', ')', ':', '"', '\\', 'ü'), minLength: 1, maxLength: 6 }), {
  nil: undefined,
});

/** Random text with random non-overlapping spans that start and end on non-space characters. */
const annotatedArb = textArb.chain((text) =>
  fc
    .array(fc.tuple(fc.nat({ max: text.length }), fc.nat({ max: text.length }), slotArb, valueArb), { maxLength: 4 })
    .map((candidates) => ({ text, slots: pickSpans(text, candidates) })),
);

function pickSpans(text: string, candidates: [number, number, string, string | undefined][]): SlotSpan[] {
  const spans: SlotSpan[] = [];
  for (const [a, b, slot, value] of candidates) {
    const start = Math.min(a, b);
    const end = Math.max(a, b);
    const surface = text.slice(start, end);
    if (end === start || surface !== surface.trim()) continue;
    if (spans.some((span) => start < span.end && span.start < end)) continue;
    const span: SlotSpan = { slot, start, end };
    if (value !== undefined && value !== surface) span.value = value;
    spans.push(span);
  }
  return spans.sort((x, y) => x.start - y.start);
}

describe('annotation round trip (property)', () => {
  it('parsing a formatted example gives back the clean text and spans', () => {
    fc.assert(
      fc.property(annotatedArb, ({ text, slots }) => {
        const source = formatAnnotatedExample(text, slots);
        const parsed = parseAnnotatedExample(source);
        expect(parsed.text).toBe(text);
        expect(parsed.slots).toEqual(slots);
        for (const column of parsed.sourceColumns) expect(source[column - 1]).toBe('[');
      }),
      { numRuns: 500 },
    );
  });

  it('any input either parses or fails with an AnnotationError inside the string', () => {
    fc.assert(
      fc.property(textArb, (source) => {
        try {
          const parsed = parseAnnotatedExample(source);
          for (const span of parsed.slots) expect(span.end).toBeLessThanOrEqual(parsed.text.length);
        } catch (error) {
          expect(error).toBeInstanceOf(AnnotationError);
          const column = (error as AnnotationError).column;
          expect(column).toBeGreaterThanOrEqual(1);
          expect(column).toBeLessThanOrEqual(source.length);
        }
      }),
      { numRuns: 500 },
    );
  });
});
