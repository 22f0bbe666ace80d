import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoModelPath } from '../cli/chat-command.js';
import { generateTranscripts } from '../cli/transcripts-command.js';
import { packageRoot } from '../data/datasets/files.js';
import { TRANSCRIPT_SCRIPT, TRANSCRIPTS_NPM_SCRIPT, userLine } from './transcripts.js';

describe('the transcript script', () => {
  it('has 20 conversations of at least 8 user turns, each its own user', () => {
    expect(TRANSCRIPT_SCRIPT).toHaveLength(20);
    for (const conversation of TRANSCRIPT_SCRIPT) expect(conversation.turns.length, conversation.title).toBeGreaterThanOrEqual(8);
    expect(new Set(TRANSCRIPT_SCRIPT.map((c) => c.user)).size).toBe(20);
    expect(new Set(TRANSCRIPT_SCRIPT.map((c) => c.title)).size).toBe(20);
  });

  it('includes the deliberate bad input: empty, emoji-only, non-English and over-long messages', () => {
    const turns = TRANSCRIPT_SCRIPT.flatMap((c) => c.turns);
    expect(turns.some((t) => t.trim() === '')).toBe(true);
    expect(turns.some((t) => t.trim() !== '' && /^[\p{Extended_Pictographic}\s]+$/u.test(t))).toBe(true);
    expect(turns.some((t) => /[¿ñäöüßç]/i.test(t))).toBe(true);
    expect(turns.some((t) => t.length > 1000)).toBe(true);
  });

  it('matches docs/transcripts.md: the committed file was generated from this script', () => {
    const markdown = readFileSync(join(packageRoot(), 'docs', 'transcripts.md'), 'utf8');
    const shown = markdown.split('\n').filter((line) => line.startsWith('**User:** '));
    expect(shown).toEqual(TRANSCRIPT_SCRIPT.flatMap((c) => c.turns.map(userLine)));
    expect(markdown).toContain(TRANSCRIPTS_NPM_SCRIPT);
  });
});

describe.runIf(existsSync(join(demoModelPath(), 'config.json')))('duet transcripts with the shipped demo', () => {
  // A reminder with a correction, and the empty / emoji / gibberish messages.
  const conversations = [TRANSCRIPT_SCRIPT[1], TRANSCRIPT_SCRIPT[8]];

  it('answers every user turn, shows the reading, names the command, and is the same on every run', async () => {
    const first = await generateTranscripts({ out: 'docs/transcripts.md', conversations });
    const second = await generateTranscripts({ out: 'docs/transcripts.md', conversations });
    expect(second).toBe(first);

    expect(first).toContain('`duet transcripts --out docs/transcripts.md`');
    expect(first).toContain(TRANSCRIPTS_NPM_SCRIPT);
    expect(first).toMatch(/not hand-edited/);

    const lines = first.split('\n').filter(Boolean);
    const userTurns = lines.flatMap((line, i) => (line.startsWith('**User:** ') ? [i] : []));
    expect(userTurns).toHaveLength(conversations[0].turns.length + conversations[1].turns.length);
    for (const i of userTurns) {
      expect(lines[i + 1]).toMatch(/^\*\*Duet:\*\* \S/);
      expect(lines[i + 2]).toMatch(/^<sub>intent \S+ \d\.\d\d.*<\/sub>$/);
    }
    expect(first).toContain('## 1. A reminder, corrected');
    expect(first).toContain('## 2. Empty, emoji');
    expect(first).toContain('**User:** *(an empty message)*');
  });

  it('runs the assistant on the fixed clock (Thursday 26 November 2026): "saturday" is the 28th', async () => {
    const markdown = await generateTranscripts({ conversations: [TRANSCRIPT_SCRIPT[1]] });
    expect(markdown).toContain("**Duet:** OK, I'll remind you to water the plants on Sat 28 Nov at 10:00.");
    expect(markdown).toMatch(/<sub>intent set\\_reminder \d\.\d\d · task "call mom" · when "tomorrow at 5pm" · → reminders\.create: done<\/sub>/);
    expect(markdown).toContain('`duet transcripts`');
  });
});
