import { describe, expect, it } from 'vitest';
import type { NluExample } from '../data/types.js';
import { augmentBySlotSwap } from './augment.js';

const ex = (text: string, intent: string, spans: [string, string][]): NluExample => ({
  text,
  intent,
  slots: spans.map(([slot, value]) => ({ slot, start: text.indexOf(value), end: text.indexOf(value) + value.length })),
});

const data = [
  ex('remind me to call mom at 5', 'set_reminder', [['task', 'call mom'], ['when', '5']]),
  ex('remind me to water the plants tomorrow', 'set_reminder', [['task', 'water the plants'], ['when', 'tomorrow']]),
  ex('set a reminder for friday to pay rent', 'set_reminder', [['when', 'friday'], ['task', 'pay rent']]),
  ex('hello', 'greet', []),
];

describe('augmentBySlotSwap', () => {
  it('makes new sentences whose spans hold values of the same slot', () => {
    const made = augmentBySlotSwap(data, 5, 1);
    expect(made.length).toBeGreaterThan(0);
    const tasks = new Set(['call mom', 'water the plants', 'pay rent']);
    const whens = new Set(['5', 'tomorrow', 'friday']);
    for (const e of made) {
      expect(e.intent).toBe('set_reminder');
      for (const s of e.slots) expect((s.slot === 'task' ? tasks : whens).has(e.text.slice(s.start, s.end))).toBe(true);
      expect(data.some((d) => d.text === e.text)).toBe(false);
    }
  });

  it('is deterministic for a seed and makes nothing for intents without slots', () => {
    expect(augmentBySlotSwap(data, 5, 7)).toEqual(augmentBySlotSwap(data, 5, 7));
    expect(augmentBySlotSwap(data, 0, 7)).toEqual([]);
  });
});
