import { describe, expect, it } from 'vitest';
import { condenseEnumerations, ownerWindows, planWindows } from './long-input.js';

describe('planWindows', () => {
  it('keeps a short input in one window', () => {
    expect(planWindows([1, 2, 1], 10)).toEqual([{ first: 0, last: 2 }]);
  });

  it('covers every word with overlapping windows that fit', () => {
    const pieces = Array.from({ length: 40 }, (_, i) => 1 + (i % 3));
    const windows = planWindows(pieces, 12);
    for (const w of windows) {
      const used = pieces.slice(w.first, w.last + 1).reduce((a, b) => a + b, 0);
      expect(used).toBeLessThanOrEqual(12);
    }
    expect(windows[0].first).toBe(0);
    expect(windows[windows.length - 1].last).toBe(39);
    for (let i = 1; i < windows.length; i++) {
      expect(windows[i].first).toBeGreaterThan(windows[i - 1].first);
      expect(windows[i].first).toBeLessThanOrEqual(windows[i - 1].last); // overlap, no gap
    }
  });

  it('gives a word longer than the window a window of its own and moves on', () => {
    expect(planWindows([1, 20, 1], 5)).toEqual([
      { first: 0, last: 0 },
      { first: 1, last: 1 },
      { first: 2, last: 2 },
    ]);
  });
});

describe('ownerWindows', () => {
  it('gives each word the window where it is most central (the earlier one on a tie)', () => {
    const windows = [
      { first: 0, last: 5 },
      { first: 3, last: 8 },
    ];
    expect(ownerWindows(windows, 9)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1]);
  });
});

describe('condenseEnumerations', () => {
  it('shortens a long enumeration to its first two items and its last', () => {
    const items = Array.from({ length: 30 }, (_, i) => `item${i + 1}`).join(', ');
    expect(condenseEnumerations(`add ${items} to my shopping list`)).toBe('add item1, item2 and item30 to my shopping list');
    expect(condenseEnumerations('add eggs, milk, bread, flour, sugar and jam to my list')).toBe('add eggs, milk and jam to my list');
  });

  it('leaves short enumerations and plain sentences alone', () => {
    expect(condenseEnumerations('add eggs, milk and bread to my shopping list')).toBe('add eggs, milk and bread to my shopping list');
    expect(condenseEnumerations('remind me to call mom tomorrow at 5pm')).toBe('remind me to call mom tomorrow at 5pm');
  });
});
