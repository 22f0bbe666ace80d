/** BIO tag sets and constrained decoding: the decoder never emits an I-X that does not continue an X. */

/** Tag list for slot names: `O`, then `B-x`, `I-x` for each slot (sorted for a stable layout). */
export function buildTagSet(slotNames: Iterable<string>): string[] {
  const tags = ['O'];
  for (const slot of [...new Set(slotNames)].sort()) tags.push(`B-${slot}`, `I-${slot}`);
  return tags;
}

/** Whether tag `next` may follow tag `prev` (`prev` undefined = sentence start). */
export function isAllowedTransition(prev: string | undefined, next: string): boolean {
  if (!next.startsWith('I-')) return true;
  if (prev === undefined || prev === 'O') return false;
  return prev.slice(2) === next.slice(2);
}

/**
 * Tag transition scores the decoder adds to the tagger's: the tagger scores each word on its
 * own, and names of several words ("kasey chambers") were cut short until the decoder also knew
 * how often an I-x follows a B-x. Either counted or learnt:
 * - `counts`: tag bigram counts of the training data, [previous, next, count] for the pairs seen,
 *   previous = -1 for the sentence start; the decoder adds their smoothed log-probabilities;
 * - `scores` (models trained with the slot CRF, train/slot-crf.ts): learnt transition scores,
 *   [(previous + 1) * K + next], row 0 the sentence start; when present, `counts` is not read.
 * `weight` scales either (chosen on validation).
 */
export interface TagTransitionPrior {
  weight: number;
  counts?: [number, number, number][];
  scores?: number[];
}

/** Why a saved prior cannot be used for `tagCount` tags, or undefined when it can. */
export function transitionPriorProblem(prior: unknown, tagCount: number): string | undefined {
  if (typeof prior !== 'object' || prior === null) return 'slotTransitions must be an object';
  const { weight, counts, scores } = prior as Record<string, unknown>;
  if (typeof weight !== 'number' || !Number.isFinite(weight)) return 'slotTransitions.weight must be a finite number';
  if (scores !== undefined) {
    if (!Array.isArray(scores) || scores.length !== (tagCount + 1) * tagCount) return `slotTransitions.scores must hold ${(tagCount + 1) * tagCount} numbers ((tags + 1) × tags)`;
    if (!scores.every((x) => typeof x === 'number' && Number.isFinite(x))) return 'slotTransitions.scores must be finite numbers';
    return undefined;
  }
  if (!Array.isArray(counts)) return 'slotTransitions needs counts or scores';
  const valid = (c: unknown) =>
    Array.isArray(c) && c.length === 3 && Number.isInteger(c[0]) && c[0] >= -1 && c[0] < tagCount && Number.isInteger(c[1]) && c[1] >= 0 && c[1] < tagCount && typeof c[2] === 'number' && c[2] >= 0;
  return counts.every(valid) ? undefined : `slotTransitions.counts must be [previous, next, count] triples with tags below ${tagCount}`;
}

/** Add-this-much smoothing of every tag pair's count. */
const TRANSITION_SMOOTHING = 0.1;

/** Count tag bigrams (and sentence-initial tags) over word tag sequences. */
export function countTagTransitions(sequences: readonly number[][], tagCount: number): [number, number, number][] {
  const counts = new Map<number, number>();
  for (const sequence of sequences) {
    let prev = -1;
    for (const tag of sequence) {
      const key = (prev + 1) * tagCount + tag;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      prev = tag;
    }
  }
  return [...counts].sort((a, b) => a[0] - b[0]).map(([key, count]) => [Math.floor(key / tagCount) - 1, key % tagCount, count]);
}

const scoreTables = new WeakMap<TagTransitionPrior, { weight: number; k: number; table: Float64Array }>();

/**
 * The weighted transition scores as a table [(previous + 1) * K + next] (row 0 = sentence start):
 * the learnt scores, or log P(next | previous) from the counts. Cached per prior and weight:
 * decoding runs once per utterance.
 */
function transitionScores(prior: TagTransitionPrior, k: number): Float64Array {
  const cached = scoreTables.get(prior);
  if (cached && cached.weight === prior.weight && cached.k === k) return cached.table;
  const table = new Float64Array((k + 1) * k);
  if (prior.scores) {
    for (let i = 0; i < table.length; i++) table[i] = prior.weight * prior.scores[i];
  } else {
    const counts = new Float64Array((k + 1) * k).fill(TRANSITION_SMOOTHING);
    for (const [prev, next, count] of prior.counts ?? []) counts[(prev + 1) * k + next] += count;
    for (let row = 0; row <= k; row++) {
      let total = 0;
      for (let j = 0; j < k; j++) total += counts[row * k + j];
      for (let j = 0; j < k; j++) table[row * k + j] = prior.weight * Math.log(counts[row * k + j] / total);
    }
  }
  scoreTables.set(prior, { weight: prior.weight, k, table });
  return table;
}

/**
 * Viterbi decoding over per-word log-probabilities [words][tags] with hard BIO constraints, plus
 * the weighted tag-transition prior when the model has one. Returns one tag index per word.
 */
export function decodeBio(logProbs: number[][], tags: string[], prior?: TagTransitionPrior): number[] {
  const n = logProbs.length;
  if (n === 0) return [];
  const k = tags.length;
  const { predecessors, canStart } = transitionTable(tags);
  const table = prior && prior.weight !== 0 ? transitionScores(prior, k) : undefined;
  // Per tag, the prior's scores of its allowed predecessors in `predecessors` order: the inner loop
  // then reads one contiguous row instead of a column of the table (~2× faster over 159 tags).
  const scores = table && predecessorScores(table, tags, predecessors);
  let score = Float64Array.from(tags, (_, j) => (canStart[j] ? logProbs[0][j] + (table ? table[j] : 0) : -Infinity));
  const back: Int32Array[] = [];
  for (let i = 1; i < n; i++) {
    const next = new Float64Array(k);
    const pointers = new Int32Array(k);
    for (let j = 0; j < k; j++) {
      let best = -Infinity;
      let arg = 0;
      const from = predecessors[j];
      // Two loops rather than a test per step: ATIS has 159 tags, most reachable from all of them.
      if (scores) {
        const into = scores[j];
        for (let q = 0; q < from.length; q++) {
          const p = from[q];
          const candidate = score[p] + into[q];
          if (candidate > best) {
            best = candidate;
            arg = p;
          }
        }
      } else {
        for (let q = 0; q < from.length; q++) {
          const p = from[q];
          if (score[p] > best) {
            best = score[p];
            arg = p;
          }
        }
      }
      next[j] = best + logProbs[i][j];
      pointers[j] = arg;
    }
    back.push(pointers);
    score = next;
  }
  let last = 0;
  for (let j = 1; j < k; j++) if (score[j] > score[last]) last = j;
  const path = [last];
  for (let i = n - 2; i >= 0; i--) path.push(back[i][path[path.length - 1]]);
  return path.reverse();
}

const predecessorScoreTables = new WeakMap<Float64Array, Float64Array[]>();

/** For each tag j, [table[(p + 1) * K + j] for p in predecessors[j]], cached per table. */
function predecessorScores(table: Float64Array, tags: string[], predecessors: Int32Array[]): Float64Array[] {
  let rows = predecessorScoreTables.get(table);
  if (!rows) {
    const k = tags.length;
    rows = predecessors.map((from, j) => Float64Array.from(from, (p) => table[(p + 1) * k + j]));
    predecessorScoreTables.set(table, rows);
  }
  return rows;
}

interface TransitionTable {
  /** For each tag, the tags allowed right before it. */
  predecessors: Int32Array[];
  canStart: boolean[];
}

// Built once per tag list: with ATIS's 120+ tags, rebuilding it per utterance cost milliseconds.
const transitionTables = new WeakMap<string[], TransitionTable>();

function transitionTable(tags: string[]): TransitionTable {
  let table = transitionTables.get(tags);
  if (!table) {
    table = {
      predecessors: tags.map((next) => Int32Array.from(tags.flatMap((prev, p) => (isAllowedTransition(prev, next) ? [p] : [])))),
      canStart: tags.map((tag) => isAllowedTransition(undefined, tag)),
    };
    transitionTables.set(tags, table);
  }
  return table;
}

/** A span of consecutive words carrying one slot. */
export interface WordSpan {
  slot: string;
  firstWord: number;
  lastWord: number;
}

/** Group a valid BIO tag sequence into spans. */
export function tagsToSpans(tagSequence: string[]): WordSpan[] {
  const spans: WordSpan[] = [];
  let open: WordSpan | undefined;
  tagSequence.forEach((tag, i) => {
    if (tag.startsWith('I-') && open && open.slot === tag.slice(2)) {
      open.lastWord = i;
      return;
    }
    open = undefined;
    if (tag.startsWith('B-') || tag.startsWith('I-')) {
      open = { slot: tag.slice(2), firstWord: i, lastWord: i };
      spans.push(open);
    }
  });
  return spans;
}

/**
 * The best valid tag path that holds at least one span of `slot` (Viterbi over tag × "span seen"),
 * with its score and the unconstrained best score, or null when no such path exists. For a value
 * a request cannot go without ("add beer to my list"), when the plain best path tags none.
 */
export function decodeBioRequiring(
  logProbs: number[][],
  tags: string[],
  slot: string,
  prior?: TagTransitionPrior,
): { path: number[]; score: number; best: number } | null {
  const n = logProbs.length;
  const k = tags.length;
  const begin = tags.indexOf(`B-${slot}`);
  if (n === 0 || begin < 0) return null;
  const { predecessors, canStart } = transitionTable(tags);
  const scores = prior && prior.weight !== 0 ? transitionScores(prior, k) : undefined;
  const transition = (p: number, j: number) => (scores ? scores[(p + 1) * k + j] : 0);
  // State f * k + j: tag j, with f = 1 once a B-slot has been emitted.
  let score = new Array<number>(2 * k).fill(-Infinity);
  for (let j = 0; j < k; j++) if (canStart[j]) score[(j === begin ? k : 0) + j] = logProbs[0][j] + transition(-1, j);
  const back: Int32Array[] = [];
  for (let i = 1; i < n; i++) {
    const next = new Array<number>(2 * k).fill(-Infinity);
    const pointers = new Int32Array(2 * k).fill(-1);
    for (let f = 0; f < 2; f++) {
      for (let j = 0; j < k; j++) {
        const to = (f === 1 || j === begin ? k : 0) + j;
        for (const p of predecessors[j]) {
          const candidate = score[f * k + p] + transition(p, j) + logProbs[i][j];
          if (candidate > next[to]) {
            next[to] = candidate;
            pointers[to] = f * k + p;
          }
        }
      }
    }
    back.push(pointers);
    score = next;
  }
  let last = k;
  for (let s = k + 1; s < 2 * k; s++) if (score[s] > score[last]) last = s;
  if (score[last] === -Infinity) return null;
  const states = [last];
  for (let i = n - 2; i >= 0; i--) states.push(back[i][states[states.length - 1]]);
  const path = states.reverse().map((s) => s % k);
  const plain = decodeBio(logProbs, tags, prior);
  const best = plain.reduce((sum, tag, i) => sum + logProbs[i][tag] + transition(i === 0 ? -1 : plain[i - 1], tag), 0);
  return { path, score: score[last], best };
}
