/**
 * Inputs longer than the model's window ("add item1, item2, … item70 to my shopping list") are
 * read in overlapping windows of whole words: each word takes its slot tags from the window where
 * it has the most context on both sides, and the intent comes from the window that holds the
 * start of the request and the one that holds its end (where the verb and the target usually are).
 */

/** A run of words [first, last] (inclusive) whose word pieces fit one window. */
export interface WordWindow {
  first: number;
  last: number;
}

/**
 * Windows over words with `pieces[w]` word pieces each, at most `maxPieces` pieces per window,
 * each next window starting halfway through the previous one. A single word longer than the
 * window gets a window of its own (the encoder truncates it).
 */
export function planWindows(pieces: readonly number[], maxPieces: number): WordWindow[] {
  const windows: WordWindow[] = [];
  let first = 0;
  while (first < pieces.length) {
    let last = first;
    let used = pieces[first];
    while (last + 1 < pieces.length && used + pieces[last + 1] <= maxPieces) used += pieces[++last];
    windows.push({ first, last });
    if (last === pieces.length - 1) break;
    first = Math.max(first + 1, Math.floor((first + last + 1) / 2));
  }
  return windows;
}

/** For each word, the index of the window in which it lies furthest from an edge. */
export function ownerWindows(windows: readonly WordWindow[], wordCount: number): number[] {
  const owners = new Array<number>(wordCount).fill(-1);
  const margin = new Array<number>(wordCount).fill(-1);
  windows.forEach((window, i) => {
    for (let w = window.first; w <= window.last; w++) {
      const m = Math.min(w - window.first, window.last - w);
      if (m > margin[w]) {
        margin[w] = m;
        owners[w] = i;
      }
    }
  });
  return owners;
}

/** One item of an enumeration: one to four words. */
const ITEM = String.raw`[\p{L}\p{N}'-]+(?:\s+[\p{L}\p{N}'-]+){0,3}`;
/** Five or more items separated by commas (the last may follow "and"). */
const ENUMERATION = new RegExp(String.raw`${ITEM}(?:\s*,\s*${ITEM}){3,}(?:\s*,?\s+and\s+${ITEM})?`, 'gu');

/**
 * A long enumeration asks for the same as a short one: "add a, b, c, …, z to my shopping list"
 * is classified as "add a, b and z to my shopping list", which the model reads in one window.
 */
export function condenseEnumerations(text: string): string {
  return text.replace(ENUMERATION, (run) => {
    const items = run.split(/\s*,\s*(?:and\s+)?|\s+and\s+/);
    return items.length <= 4 ? run : `${items[0]}, ${items[1]} and ${items[items.length - 1]}`;
  });
}
