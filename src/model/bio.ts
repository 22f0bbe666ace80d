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
