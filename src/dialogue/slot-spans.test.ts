import { describe, expect, it } from 'vitest';
import { slotTexts } from './slot-spans.js';

function spans(utterance: string, parts: [string, string][]) {
  let from = 0;
  return parts.map(([slot, text]) => {
    const start = utterance.indexOf(text, from);
    from = start + text.length;
    return { slot, start, end: start + text.length };
  });
}

describe('slotTexts', () => {
  it('joins a value tagged in pieces with the words between them', () => {
    const u = 'i need a reminder next monday at 10am to renew my passport';
    const texts = slotTexts(u, spans(u, [['when', 'next'], ['when', 'monday'], ['when', '10am'], ['task', 'renew my passport']]));
    expect(texts.get('when')).toEqual(['next monday at 10am']);
    expect(texts.get('task')).toEqual(['renew my passport']);
  });

  it('keeps far-apart pieces separate, and never merges across another slot', () => {
    const u = 'add eggs to the shopping list and also some fresh bread';
    const texts = slotTexts(u, spans(u, [['item', 'eggs'], ['list', 'shopping'], ['item', 'fresh bread']]));
    expect(texts.get('item')).toEqual(['eggs', 'fresh bread']);
    const v = 'remind me at 5 to call bob tomorrow';
    expect(slotTexts(v, spans(v, [['when', '5'], ['task', 'call bob'], ['when', 'tomorrow']])).get('when')).toEqual(['5', 'tomorrow']);
  });

  it('merges list items split by commas', () => {
    const u = 'add eggs, milk and bread';
    expect(slotTexts(u, spans(u, [['item', 'eggs'], ['item', 'milk'], ['item', 'bread']])).get('item')).toEqual(['eggs, milk and bread']);
  });
});
