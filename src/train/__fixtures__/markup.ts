/** Training examples for tests, written as markup: `wake me at [7 am](time)`. */
import type { NluExample, SlotSpan } from '../../data/types.js';

export function ex(intent: string, markup: string): NluExample {
  const slots: SlotSpan[] = [];
  let text = '';
  let rest = markup;
  for (let m = /\[([^\]]+)\]\(([^)]+)\)/.exec(rest); m; m = /\[([^\]]+)\]\(([^)]+)\)/.exec(rest)) {
    text += rest.slice(0, m.index);
    slots.push({ slot: m[2], start: text.length, end: text.length + m[1].length });
    text += m[1];
    rest = rest.slice(m.index + m[0].length);
  }
  return { text: text + rest, intent, slots };
}
