import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildTagSet, countTagTransitions, decodeBio, decodeBioRequiring, isAllowedTransition, tagsToSpans, type TagTransitionPrior } from './bio.js';

/** Whether a tag sequence is valid BIO: every I-x continues a B-x or I-x. */
function isValidBio(sequence: string[]): boolean {
  return sequence.every((tag, i) => {
    if (!tag.startsWith('I-')) return true;
    const prev = sequence[i - 1];
    return prev !== undefined && prev !== 'O' && prev.slice(2) === tag.slice(2);
  });
}

function pathScore(logProbs: number[][], path: number[]): number {
  return path.reduce((sum, tag, i) => sum + logProbs[i][tag], 0);
}

/** Best valid path score by enumerating every tag sequence (small inputs only). */
function bruteForceBest(logProbs: number[][], tags: string[]): number {
  let best = -Infinity;
  const path: number[] = [];
  const visit = (i: number) => {
    if (i === logProbs.length) {
      if (isValidBio(path.map((t) => tags[t]))) best = Math.max(best, pathScore(logProbs, path));
      return;
    }
    for (let t = 0; t < tags.length; t++) {
      path.push(t);
      visit(i + 1);
      path.pop();
    }
  };
  visit(0);
  return best;
}

/** A tag set from buildTagSet, in a random order (the decoder must not rely on the layout). */
const tagSetArb = fc
  .uniqueArray(fc.constantFrom('a', 'b', 'city', 'time'), { minLength: 0, maxLength: 3 })
  .chain((slots) => fc.shuffledSubarray(buildTagSet(slots), { minLength: 2 * slots.length + 1 }));

function matrixArb(tags: string[], maxWords: number, value: fc.Arbitrary<number>): fc.Arbitrary<number[][]> {
  return fc.array(fc.array(value, { minLength: tags.length, maxLength: tags.length }), { minLength: 0, maxLength: maxWords });
}

const finiteLogProb = fc.double({ min: -20, max: 0, noNaN: true });

describe('decodeBio', () => {
  it('never emits an I-x that does not continue an x, whatever the scores', () => {
    fc.assert(
      fc.property(
        tagSetArb.chain((tags) => fc.tuple(fc.constant(tags), matrixArb(tags, 12, finiteLogProb))),
        ([tags, logProbs]) => {
          const path = decodeBio(logProbs, tags);
          expect(path).toHaveLength(logProbs.length);
          for (const t of path) expect(Number.isInteger(t) && t >= 0 && t < tags.length).toBe(true);
          expect(isValidBio(path.map((t) => tags[t]))).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('stays valid when some tags have probability 0 (log-prob -Infinity), with O first as models lay it out', () => {
    const withZeros = fc.oneof({ weight: 3, arbitrary: finiteLogProb }, { weight: 1, arbitrary: fc.constant(-Infinity) });
    fc.assert(
      fc.property(
        fc
          .uniqueArray(fc.constantFrom('a', 'b', 'city'), { maxLength: 3 })
          .map(buildTagSet)
          .chain((tags) => fc.tuple(fc.constant(tags), matrixArb(tags, 8, withZeros))),
        ([tags, logProbs]) => {
          expect(isValidBio(decodeBio(logProbs, tags).map((t) => tags[t]))).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('returns a path as good as the best valid sequence found by brute force', () => {
    fc.assert(
      fc.property(
        fc
          .uniqueArray(fc.constantFrom('a', 'b'), { maxLength: 2 })
          .chain((slots) => fc.shuffledSubarray(buildTagSet(slots), { minLength: 2 * slots.length + 1 }))
          .chain((tags) => fc.tuple(fc.constant(tags), matrixArb(tags, 4, finiteLogProb))),
        ([tags, logProbs]) => {
          const path = decodeBio(logProbs, tags);
          expect(pathScore(logProbs, path)).toBeCloseTo(bruteForceBest(logProbs, tags), 9);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('repairs a greedy "O I-a" into the best valid path', () => {
    const tags = ['O', 'B-a', 'I-a'];
    //           O     B-a   I-a
    const logProbs = [
      [Math.log(0.6), Math.log(0.35), Math.log(0.05)],
      [Math.log(0.1), Math.log(0.2), Math.log(0.7)],
    ];
    // Greedy argmax would say O I-a. Valid options: B-a I-a = .35*.7 = .245 beats O B-a = .12 and O O = .06.
    expect(decodeBio(logProbs, tags).map((t) => tags[t])).toEqual(['B-a', 'I-a']);
  });

  it('prefers dropping the I- when starting a span there costs more', () => {
    const tags = ['O', 'B-a', 'I-a'];
    const logProbs = [
      [Math.log(0.9), Math.log(0.05), Math.log(0.05)],
      [Math.log(0.05), Math.log(0.4), Math.log(0.55)],
    ];
    // B-a I-a = .05*.55 = .0275; O B-a = .9*.4 = .36 wins.
    expect(decodeBio(logProbs, tags).map((t) => tags[t])).toEqual(['O', 'B-a']);
  });

  it('does not continue a span of another slot', () => {
    const tags = buildTagSet(['a', 'b']); // O B-a I-a B-b I-b
    const p = (o: number, ba: number, ia: number, bb: number, ib: number) => [o, ba, ia, bb, ib].map(Math.log);
    const logProbs = [p(0.01, 0.9, 0.01, 0.07, 0.01), p(0.01, 0.01, 0.01, 0.17, 0.8)];
    // B-a I-b is invalid; the best valid path is B-a B-b (.9*.17) over B-b I-b (.07*.8).
    expect(decodeBio(logProbs, tags).map((t) => tags[t])).toEqual(['B-a', 'B-b']);
  });

  it('forbids I- at the start of a sentence', () => {
    const tags = ['O', 'B-a', 'I-a'];
    expect(decodeBio([[Math.log(0.2), Math.log(0.1), Math.log(0.7)]], tags).map((t) => tags[t])).toEqual(['O']);
  });

  it('returns an empty path for no words', () => {
    expect(decodeBio([], ['O', 'B-a', 'I-a'])).toEqual([]);
  });

  it('keeps a long span that greedy decoding would also find', () => {
    const tags = ['O', 'B-city', 'I-city'];
    const row = (i: number) => tags.map((_, j) => (j === i ? Math.log(0.8) : Math.log(0.1)));
    expect(decodeBio([row(0), row(1), row(2), row(2), row(0)], tags).map((t) => tags[t])).toEqual(['O', 'B-city', 'I-city', 'I-city', 'O']);
  });
});

describe('tag-transition prior', () => {
  const tags = ['O', 'B-artist', 'I-artist'];
  const ln = Math.log;
  // "add kasey chambers": the tagger alone is unsure about "chambers" and leans to O.
  const logProbs = [
    [ln(0.9), ln(0.05), ln(0.05)],
    [ln(0.1), ln(0.85), ln(0.05)],
    [ln(0.55), ln(0.05), ln(0.4)],
  ];
  // Training data where a B-artist is nearly always followed by I-artist.
  const sequences = [
    [0, 1, 2],
    [0, 1, 2, 0],
    [1, 2, 2],
    [0, 0, 1, 2],
  ];

  it('counts sentence starts (previous -1) and bigrams', () => {
    const counts = countTagTransitions(sequences, tags.length);
    const get = (prev: number, next: number) => counts.find(([p, n]) => p === prev && n === next)?.[2] ?? 0;
    expect(get(-1, 0)).toBe(3);
    expect(get(-1, 1)).toBe(1);
    expect(get(1, 2)).toBe(4);
    expect(get(2, 2)).toBe(1);
    expect(get(0, 2)).toBe(0);
    expect(counts.reduce((sum, [, , c]) => sum + c, 0)).toBe(sequences.flat().length);
  });

  it('extends a name the tagger alone cuts short, in both decoders', () => {
    const prior: TagTransitionPrior = { weight: 1, counts: countTagTransitions(sequences, tags.length) };
    expect(decodeBio(logProbs, tags)).toEqual([0, 1, 0]);
    expect(decodeBio(logProbs, tags, prior)).toEqual([0, 1, 2]);
    expect(decodeBioRequiring(logProbs, tags, 'artist', prior)?.path).toEqual([0, 1, 2]);
  });

  it('returns a path as good as the best valid sequence found by brute force, prior included', () => {
    // The prior's score of a path: weight × ln P(next | previous), row 0 = the sentence start,
    // from counts smoothed by 0.1 (bio.ts's TRANSITION_SMOOTHING), as the decoder defines it.
    const priorScore = (prior: TagTransitionPrior, k: number, path: number[]) => {
      const counts = new Float64Array((k + 1) * k).fill(0.1);
      for (const [prev, next, count] of prior.counts ?? []) counts[(prev + 1) * k + next] += count;
      let sum = 0;
      path.forEach((tag, i) => {
        const row = i === 0 ? 0 : path[i - 1] + 1;
        let total = 0;
        for (let j = 0; j < k; j++) total += counts[row * k + j];
        sum += prior.weight * Math.log(counts[row * k + tag] / total);
      });
      return sum;
    };
    const scoreOf = (logProbs: number[][], prior: TagTransitionPrior, k: number, path: number[]) => pathScore(logProbs, path) + priorScore(prior, k, path);
    fc.assert(
      fc.property(
        fc
          .uniqueArray(fc.constantFrom('a', 'b'), { minLength: 1, maxLength: 2 })
          .chain((slots) => fc.shuffledSubarray(buildTagSet(slots), { minLength: 2 * slots.length + 1 }))
          .chain((tags) =>
            fc.tuple(
              fc.constant(tags),
              matrixArb(tags, 4, finiteLogProb),
              fc.array(fc.array(fc.integer({ min: 0, max: tags.length - 1 }), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 6 }),
              fc.constantFrom(0.3, 1, 1.5),
            ),
          ),
        ([tags, logProbs, sequences, weight]) => {
          const prior: TagTransitionPrior = { weight, counts: countTagTransitions(sequences, tags.length) };
          const path = decodeBio(logProbs, tags, prior);
          expect(isValidBio(path.map((t) => tags[t]))).toBe(true);
          let best = -Infinity;
          const visit = (walk: number[]) => {
            if (walk.length === logProbs.length) {
              if (isValidBio(walk.map((t) => tags[t]))) best = Math.max(best, scoreOf(logProbs, prior, tags.length, walk));
              return;
            }
            for (let t = 0; t < tags.length; t++) visit([...walk, t]);
          };
          visit([]);
          expect(scoreOf(logProbs, prior, tags.length, path)).toBeCloseTo(best, 9);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('changes nothing at weight 0, and follows a weight changed in place', () => {
    const prior: TagTransitionPrior = { weight: 0, counts: countTagTransitions(sequences, tags.length) };
    expect(decodeBio(logProbs, tags, prior)).toEqual(decodeBio(logProbs, tags));
    prior.weight = 1;
    expect(decodeBio(logProbs, tags, prior)).toEqual([0, 1, 2]);
  });

  it('keeps every path valid BIO whatever the prior', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: -10, max: 0, noNaN: true }), { minLength: 5, maxLength: 5 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.tuple(fc.integer({ min: -1, max: 4 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 50 }))),
        fc.double({ min: 0, max: 3, noNaN: true }),
        (lp, counts, weight) => {
          const five = ['O', 'B-a', 'I-a', 'B-b', 'I-b'];
          const path = decodeBio(lp, five, { weight, counts });
          expect(isValidBio(path.map((t) => five[t]))).toBe(true);
        },
      ),
    );
  });
});

describe('isAllowedTransition', () => {
  it('allows O and B- anywhere and I-x only after B-x or I-x', () => {
    expect(isAllowedTransition(undefined, 'O')).toBe(true);
    expect(isAllowedTransition(undefined, 'B-a')).toBe(true);
    expect(isAllowedTransition(undefined, 'I-a')).toBe(false);
    expect(isAllowedTransition('O', 'I-a')).toBe(false);
    expect(isAllowedTransition('B-a', 'I-a')).toBe(true);
    expect(isAllowedTransition('I-a', 'I-a')).toBe(true);
    expect(isAllowedTransition('B-b', 'I-a')).toBe(false);
    expect(isAllowedTransition('I-b', 'I-a')).toBe(false);
    expect(isAllowedTransition('I-ab', 'I-a')).toBe(false);
  });
});

describe('tagsToSpans', () => {
  it('groups B- and following I- of the same slot into word spans', () => {
    expect(tagsToSpans(['O', 'B-city', 'I-city', 'O', 'B-time'])).toEqual([
      { slot: 'city', firstWord: 1, lastWord: 2 },
      { slot: 'time', firstWord: 4, lastWord: 4 },
    ]);
  });

  it('starts a new span at each B-, even of the same slot', () => {
    expect(tagsToSpans(['B-a', 'B-a', 'I-a'])).toEqual([
      { slot: 'a', firstWord: 0, lastWord: 0 },
      { slot: 'a', firstWord: 1, lastWord: 2 },
    ]);
  });

  it('treats a stray I- (not produced by decodeBio) as the start of a span', () => {
    expect(tagsToSpans(['O', 'I-a', 'I-a'])).toEqual([{ slot: 'a', firstWord: 1, lastWord: 2 }]);
    expect(tagsToSpans(['B-a', 'I-b'])).toEqual([
      { slot: 'a', firstWord: 0, lastWord: 0 },
      { slot: 'b', firstWord: 1, lastWord: 1 },
    ]);
  });

  it('returns no spans for all-O or empty input', () => {
    expect(tagsToSpans(['O', 'O'])).toEqual([]);
    expect(tagsToSpans([])).toEqual([]);
  });

  it('keeps slot names containing dashes and dots', () => {
    expect(tagsToSpans(['B-from-loc.city', 'I-from-loc.city'])).toEqual([{ slot: 'from-loc.city', firstWord: 0, lastWord: 1 }]);
  });
});

describe('buildTagSet', () => {
  it('puts O first, then B-/I- pairs for each slot in sorted order, without duplicates', () => {
    expect(buildTagSet(['time', 'city', 'time'])).toEqual(['O', 'B-city', 'I-city', 'B-time', 'I-time']);
  });

  it('gives just O for no slots', () => {
    expect(buildTagSet([])).toEqual(['O']);
  });

  it('does not depend on the order slots are seen in', () => {
    expect(buildTagSet(new Set(['b', 'a', 'c']))).toEqual(buildTagSet(['c', 'a', 'b']));
  });
});

describe('decodeBioRequiring', () => {
  const tags = buildTagSet(['item', 'list']);
  const at = (tag: string) => tags.indexOf(tag);
  /** Log-probabilities that favour the given tag per word by `margin` nats. */
  const rows = (favoured: string[], second: (string | null)[], margin = 2) =>
    favoured.map((tag, i) => tags.map((t) => (t === tag ? 0 : t === second[i] ? -margin : -20)));

  it('finds the best path with a span of the slot when the plain best has none', () => {
    // "add beer to my shopping list": "beer" is O by 2 nats over B-item.
    const lp = rows(['O', 'O', 'O', 'O', 'B-list', 'O'], [null, 'B-item', null, null, null, null]);
    expect(decodeBio(lp, tags).map((t) => tags[t])).not.toContain('B-item');
    const forced = decodeBioRequiring(lp, tags, 'item')!;
    expect(forced.path.map((t) => tags[t])).toEqual(['O', 'B-item', 'O', 'O', 'B-list', 'O']);
    expect(forced.best - forced.score).toBeCloseTo(2, 5);
    expect(forced.path[1]).toBe(at('B-item'));
  });

  it('returns the plain best path when it already has the slot, and null for an unknown slot', () => {
    const lp = rows(['O', 'B-item', 'I-item'], [null, null, null]);
    expect(decodeBioRequiring(lp, tags, 'item')!.path).toEqual(decodeBio(lp, tags));
    expect(decodeBioRequiring(lp, tags, 'nope')).toBeNull();
  });
});
