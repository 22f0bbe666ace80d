import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../store/memory-store.js';
import type { SkillSlot } from '../skills/types.js';
import { readSlotsFromSpans, slotTexts } from './slot-spans.js';

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
    // Patches of one long enumeration, with untagged items between them.
    const v = 'add a1, a2, a3, a4, a5, a6, a7 and a8 to my list';
    expect(slotTexts(v, spans(v, [['item', 'a1, a2'], ['item', 'a7 and a8']])).get('item')).toEqual(['a1, a2, a3, a4, a5, a6, a7 and a8']);
  });
});

describe('readSlotsFromSpans', () => {
  const ctx = { user: 'u', now: new Date('2026-11-25T10:00:00Z'), timeZone: 'UTC', store: createMemoryStore().forUser('u') };
  const when = {
    name: 'when',
    required: true,
    prompt: 'When?',
    example: '5pm',
    parse: (t: string) => (/^(next \w+)( at \d+pm)?$/.test(t) ? { ok: true as const, value: t } : { ok: false as const, reason: `bad "${t}"` }),
    find: (u: string) => {
      const m = /next \w+( at \d+pm)?/.exec(u);
      return m ? { value: m[0], text: m[0] } : null;
    },
  };

  it('prefers a reading of the utterance that contains a partly tagged value', () => {
    const u = 'remind me next wednesday at 2pm to pay';
    const got = readSlotsFromSpans([when], u, [{ slot: 'when', value: '', text: 'next wednesday', start: 10, end: 24 }], ctx);
    expect(got).toEqual([{ slot: 'when', ok: true, value: 'next wednesday at 2pm', text: 'next wednesday at 2pm' }]);
  });

  it('ignores spans of filler words and reports unreadable ones', () => {
    const u = 'remind me at the blorp';
    expect(readSlotsFromSpans([when], u, [{ slot: 'when', value: '', text: 'the', start: 13, end: 16 }], ctx)).toEqual([]);
    const got = readSlotsFromSpans([when], u, [{ slot: 'when', value: '', text: 'blorp', start: 17, end: 22 }], ctx);
    expect(got).toEqual([{ slot: 'when', ok: false, reason: 'bad "blorp"', example: '5pm' }]);
  });

  it('reads a typed value cut one word short with the next untagged word, or reports that reading', () => {
    const amount = {
      name: 'amount',
      required: true,
      prompt: 'How much?',
      example: '5 miles',
      parse: (t: string) =>
        /^\d+ miles$/.test(t) ? { ok: true as const, value: t } : { ok: false as const, reason: /^\d+$/.test(t) ? 'needs a unit' : `unknown unit in "${t}"` },
      find: () => null,
    };
    const u = 'convert 5 miles to km';
    expect(readSlotsFromSpans([amount], u, [{ slot: 'amount', value: '', text: '5', start: 8, end: 9 }], ctx)).toEqual([
      { slot: 'amount', ok: true, value: '5 miles', text: '5 miles' },
    ]);
    const v = 'convert 5 furlongs to km';
    expect(readSlotsFromSpans([amount], v, [{ slot: 'amount', value: '', text: '5', start: 8, end: 9 }], ctx)).toEqual([
      { slot: 'amount', ok: false, reason: 'unknown unit in "5 furlongs"', example: '5 miles' },
    ]);
    // The next word belongs to another value: it is not borrowed.
    const w = 'convert 5 furlongs to km';
    const tagged = [
      { slot: 'amount', value: '', text: '5', start: 8, end: 9 },
      { slot: 'unit', value: '', text: 'furlongs', start: 10, end: 18 },
    ];
    expect(readSlotsFromSpans([amount], w, tagged, ctx)).toEqual([{ slot: 'amount', ok: false, reason: 'needs a unit', example: '5 miles' }]);
  });

  it('keeps the span reading when a wider reading of the utterance says another day', () => {
    const day = {
      name: 'day',
      required: true,
      prompt: 'Which day?',
      example: 'friday',
      parse: (t: string) => ({ ok: true as const, value: t === 'friday' ? 'fri' : 'other' }),
      find: (u: string) => (u.includes('evening friday') ? { value: 'today', text: 'evening friday' } : null),
      widens: (_text: string, narrow: string, wide: string) => narrow === wide,
    };
    const u = 'remind me about the parents evening friday';
    const got = readSlotsFromSpans([day], u, [{ slot: 'day', value: '', text: 'friday', start: 36, end: 42 }], ctx);
    expect(got).toEqual([{ slot: 'day', ok: true, value: 'fri', text: 'friday' }]);
  });

  describe('free texts the model cut short', () => {
    const task = { name: 'task', required: true, prompt: 'What?', example: 'call mom', runsOn: true, parse: (t: string) => ({ ok: true as const, value: t }) };
    const item = { name: 'item', required: true, prompt: 'What?', example: 'eggs', parse: (t: string) => ({ ok: true as const, value: t }) };
    const list = { name: 'list', required: false, prompt: 'Which?', example: 'shopping', parse: (t: string) => ({ ok: true as const, value: t }) };
    const at = {
      name: 'at',
      required: true,
      prompt: 'When?',
      example: '5pm',
      parse: (t: string) => (/^(?:yesterday at )?\d+(?:am|pm)$/.test(t) ? { ok: true as const, value: t } : { ok: false as const, reason: `bad "${t}"` }),
      find: (u: string) => {
        const m = /(?:yesterday at )?\d+(?:am|pm)/.exec(u);
        return m ? { value: m[0], text: m[0] } : null;
      },
      looksLike: (t: string) => /\d|yesterday|smarch/.test(t),
    };
    const read = (slots: SkillSlot[], u: string, parts: [string, string][]) =>
      Object.fromEntries(readSlotsFromSpans(slots, u, spans(u, parts).map((s) => ({ ...s, value: '', text: u.slice(s.start, s.end) })), ctx).map((r) => [r.slot, r.ok ? r.value : r.reason]));

    it('runs a free text on to the end of the sentence, without closing words', () => {
      expect(read([task, at], 'remind me to put the washing on', [['task', 'put the washing']])).toEqual({ task: 'put the washing on' });
      expect(read([task, at], 'remind me to check on the laundry thanks', [['task', 'check']])).toEqual({ task: 'check on the laundry' });
    });

    it('runs a free text on to the next value, without the words leading into it', () => {
      expect(read([task, at], 'remind me to call mom about the party at 5pm', [['task', 'call mom'], ['at', '5pm']])).toEqual({ task: 'call mom about the party', at: '5pm' });
    });

    it('takes the next item of a list cut after "and", up to the words leading into the list name', () => {
      expect(read([item, list], 'put tent, rope and torch on my camping list', [['item', 'tent, rope and'], ['list', 'camping']])).toEqual({ item: 'tent, rope and torch', list: 'camping' });
      // ...also when the model tagged that item as the start of the list name.
      expect(read([item, list], 'put tent, rope and torch on my camping list', [['item', 'tent, rope and'], ['list', 'torch'], ['list', 'camping']])).toEqual({
        item: 'tent, rope and torch',
        list: 'camping',
      });
      // Without a dangling "and" the model's span is kept.
      expect(read([item, list], 'put tent on my camping list', [['item', 'tent'], ['list', 'camping']])).toEqual({ item: 'tent', list: 'camping' });
    });

    it('bounds a name by the words around it: "the christmas presents list", "the vet to my todo"', () => {
      const named = { ...list, endsBefore: /list\b/i, startsAfter: /\b(?:to|on|off|from)\s+(?:my|the)\s+/i };
      expect(read([item, named], 'show me the christmas presents list', [['list', 'christmas']])).toEqual({ list: 'christmas presents' });
      expect(read([item, named], 'add call the vet to my todo list', [['item', 'call the'], ['list', 'vet to my todo']])).toEqual({ item: 'call the vet', list: 'todo' });
      // Not over "and", and not more than three words on.
      expect(read([item, named], 'add eggs to the shopping and the party list', [['item', 'eggs'], ['list', 'shopping']])).toEqual({ item: 'eggs', list: 'shopping' });
      expect(read([item, named], 'add eggs to the shopping thing for my big party list', [['item', 'eggs'], ['list', 'shopping']])).toEqual({ item: 'eggs', list: 'shopping' });
    });

    it('reads one name tagged in pieces around the item, and gives the item the words before the lead-in', () => {
      const named = { ...list, startsAfter: /\b(?:to|on|off|from)\s+(?:my|the)\s+/i };
      expect(read([item, named], 'also put a travel adapter on the packing list', [['list', 'travel'], ['list', 'packing']])).toEqual({ item: 'travel adapter', list: 'packing' });
    });

    it('gives a typed value the lead-in word it reads with ("on friday"), not one it does not ("on in 45 minutes")', () => {
      const when = {
        ...at,
        parse: (t: string) => (/^(?:on )?friday$|^in 45 minutes$/.test(t) ? { ok: true as const, value: t.replace(/^on /, '') } : { ok: false as const, reason: 'bad' }),
        find: () => null,
      };
      expect(read([task, when], 'remind me to book the flights on friday', [['task', 'book the flights on'], ['at', 'friday']])).toEqual({ task: 'book the flights', at: 'friday' });
      expect(read([task, when], 'remind me to put the washing on in 45 minutes', [['task', 'put the washing on'], ['at', 'in 45 minutes']])).toEqual({
        task: 'put the washing on',
        at: 'in 45 minutes',
      });
    });

    it('takes back into the text a piece that does not look like the typed value, and reports one that does', () => {
      expect(read([task, at], 'remind me to defrost the chicken', [['task', 'defrost'], ['at', 'the chicken']])).toEqual({ task: 'defrost the chicken' });
      expect(read([task, at], 'remind me to renew it on the 35th of smarch', [['task', 'renew it'], ['at', 'the 35th of smarch']])).toEqual({
        task: 'renew it',
        at: 'bad "the 35th of smarch"',
      });
    });

    it('ends a text where a typed value read from the utterance begins', () => {
      expect(read([task, at], 'remind me to take my pills yesterday at 9am', [['task', 'take my pills yesterday'], ['at', '9am']])).toEqual({
        task: 'take my pills',
        at: 'yesterday at 9am',
      });
    });
  });
});
