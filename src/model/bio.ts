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
 * Viterbi decoding over per-word log-probabilities [words][tags] with hard BIO constraints.
 * Returns one tag index per word.
 */
export function decodeBio(logProbs: number[][], tags: string[]): number[] {
  const n = logProbs.length;
  if (n === 0) return [];
  const k = tags.length;
  const { predecessors, canStart } = transitionTable(tags);
  let score = tags.map((_, j) => (canStart[j] ? logProbs[0][j] : -Infinity));
  const back: Int32Array[] = [];
  for (let i = 1; i < n; i++) {
    const next = new Array<number>(k).fill(-Infinity);
    const pointers = new Int32Array(k);
    for (let j = 0; j < k; j++) {
      let best = -Infinity;
      let arg = 0;
      for (const p of predecessors[j]) {
        if (score[p] > best) {
          best = score[p];
          arg = p;
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

interface TransitionTable {
  /** For each tag, the tags allowed right before it. */
  predecessors: number[][];
  canStart: boolean[];
}

// Built once per tag list: with ATIS's 120+ tags, rebuilding it per utterance cost milliseconds.
const transitionTables = new WeakMap<string[], TransitionTable>();

function transitionTable(tags: string[]): TransitionTable {
  let table = transitionTables.get(tags);
  if (!table) {
    table = {
      predecessors: tags.map((next) => tags.flatMap((prev, p) => (isAllowedTransition(prev, next) ? [p] : []))),
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
export function decodeBioRequiring(logProbs: number[][], tags: string[], slot: string): { path: number[]; score: number; best: number } | null {
  const n = logProbs.length;
  const k = tags.length;
  const begin = tags.indexOf(`B-${slot}`);
  if (n === 0 || begin < 0) return null;
  const { predecessors, canStart } = transitionTable(tags);
  // State f * k + j: tag j, with f = 1 once a B-slot has been emitted.
  let score = new Array<number>(2 * k).fill(-Infinity);
  for (let j = 0; j < k; j++) if (canStart[j]) score[(j === begin ? k : 0) + j] = logProbs[0][j];
  const back: Int32Array[] = [];
  for (let i = 1; i < n; i++) {
    const next = new Array<number>(2 * k).fill(-Infinity);
    const pointers = new Int32Array(2 * k).fill(-1);
    for (let f = 0; f < 2; f++) {
      for (let j = 0; j < k; j++) {
        const to = (f === 1 || j === begin ? k : 0) + j;
        for (const p of predecessors[j]) {
          const candidate = score[f * k + p] + logProbs[i][j];
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
  const plain = decodeBio(logProbs, tags);
  const best = plain.reduce((sum, tag, i) => sum + logProbs[i][tag], 0);
  return { path, score: score[last], best };
}
