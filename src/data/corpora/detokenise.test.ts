import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detokenise, looseKey } from './detokenise.js';

describe('detokenise', () => {
  it.each([
    ['Hello , how are you ?', 'Hello, how are you?'],
    ['I ’ m fine . I ’ ll call you .', "I'm fine. I'll call you."],
    ["don ' t worry , it ' s ok !", "don't worry, it's ok!"],
    ['I ‘ Ve been there', "I've been there"],
    ['at 6 o ’ clock', "at 6 o'clock"],
    ['Shaquille O ’ Neal , ma ’ am', "Shaquille O'Neal, ma'am"],
    ['my parents ’ consent', "my parents' consent"],
    ['the Teachers \' College ?', "the Teachers' College?"],
    ["It says ' No smoking ' here .", "It says 'No smoking' here."],
    ["you watched ' Titanic ' ?", "you watched 'Titanic'?"],
    ['He said “ Battle of Gettysburg . ”', 'He said "Battle of Gettysburg."'],
    ['a " quoted " word', 'a "quoted" word'],
    ['It costs $ 200 ( about 10 % off ) ...', 'It costs $200 (about 10% off)...'],
    ['I think so.Yes , they do .', 'I think so. Yes, they do.'],
    ['See St.Patrick and Mr.Smith', 'See St.Patrick and Mr.Smith'],
    ['  spaced \t out  ', 'spaced out'],
    ['Wait - what ?!', 'Wait - what?!'],
    ['', ''],
  ])('%j → %j', (input, expected) => {
    expect(detokenise(input)).toBe(expected);
  });

  it('never changes letters or digits, and leaves no stray whitespace', () => {
    const word = fc.stringMatching(/^[A-Za-z0-9]{1,6}$/);
    const piece = fc.oneof(word, fc.constantFrom('.', ',', '?', '!', "'", '’', '‘', '"', '“', '”', '(', ')', '$', '%', '...', '-'));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 20 }), (pieces) => {
        const input = pieces.join(' ');
        const out = detokenise(input);
        expect(looseKey(out)).toBe(looseKey(input));
        expect(out).toBe(out.trim());
        expect(out).not.toMatch(/\s{2}/);
      }),
    );
  });
});

describe('looseKey', () => {
  it('ignores case, spacing and punctuation, but not words', () => {
    expect(looseKey('I ’ m fine , thanks .')).toBe(looseKey("i'm FINE, thanks"));
    expect(looseKey('I am fine')).not.toBe(looseKey('I am find'));
  });
});
