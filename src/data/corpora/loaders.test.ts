import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveDataDir } from '../datasets/files.js';
import { loadChatterbot, parseChatterbotYaml } from './chatterbot.js';
import { loadMicrosoftChitchat, parseQna } from './microsoft-chitchat.js';
import { loadSgdDialogues, parseSgdDialogues } from './sgd.js';

const fixtures = join(import.meta.dirname, '__fixtures__', 'data');

describe('SGD dialogues', () => {
  it('reads user and system utterances in order, dropping empty ones', () => {
    const dialogues = loadSgdDialogues('train', { dataDir: fixtures });
    expect(dialogues.map((d) => d.id)).toEqual(['1_00000', '1_00001']);
    expect(dialogues[0].turns).toEqual([
      { speaker: 'USER', text: 'I am feeling hungry so I would like to find a place to eat.' },
      { speaker: 'SYSTEM', text: 'Do you have a specific city in mind?' },
      { speaker: 'USER', text: 'San Jose, please.' },
    ]);
    expect(dialogues[1].turns.map((t) => t.text)).toEqual(['Book a table for two.', 'Which restaurant?']);
  });

  it('names the file and dialogue of a malformed turn', () => {
    expect(() => parseSgdDialogues('[{"dialogue_id": "d1", "turns": [{"speaker": "BOT", "utterance": "hi"}]}]', 'f.json')).toThrow(/f.json dialogue d1 turn 0/);
  });
});

describe('Microsoft chit-chat', () => {
  it('pairs every phrasing of a .qna question with its answer, skipping filter metadata', () => {
    const { pairs, responses } = loadMicrosoftChitchat({ dataDir: fixtures });
    expect(pairs).toEqual([
      { question: "I'm so bored of you", answer: 'Swing and a miss.' },
      { question: "You're dull", answer: 'Swing and a miss.' },
      { question: 'Ugh, so dull', answer: 'Swing and a miss.' },
      { question: 'How old are you?', answer: "I don't really have an age." },
      { question: "What's your age?", answer: "I don't really have an age." },
      { question: 'Go to hell', answer: "Let's move on." },
      { question: 'Bye', answer: 'Bye!' },
    ]);
    expect(responses).toEqual(["I don't really have an age.", 'Dude. I put the fun in functionality.']);
  });

  it('keeps a multi-line answer whole', () => {
    expect(parseQna('# ? Hi\n\n```markdown\nHello.\nNice to meet you.\n```\n')).toEqual([{ question: 'Hi', answer: 'Hello.\nNice to meet you.' }]);
  });
});

describe('ChatterBot corpus', () => {
  it('reads conversations as lists of statements, numbers as text, skipping a malformed entry', () => {
    expect(loadChatterbot({ dataDir: fixtures })).toEqual([
      ['Hello', 'Hi', 'How are you doing?'],
      ['What is 2 plus 2?', '4'],
    ]);
  });

  it('says so when a file has no conversations', () => {
    expect(() => parseChatterbotYaml('categories: [x]\n', 'a.yml')).toThrow(/a.yml has no 'conversations' list/);
  });
});

const dataDir = resolveDataDir();
describe.runIf(existsSync(join(dataDir, 'chatterbot-corpus')) && existsSync(join(dataDir, 'microsoft-chitchat')) && existsSync(join(dataDir, 'sgd', 'train')))('the real files', () => {
  it('ChatterBot: 2,025 of the 2,026 conversations SOURCE.md counts (one in trivia.yml is not a list)', () => {
    expect(loadChatterbot()).toHaveLength(2025);
  });

  it('Microsoft chit-chat: every phrasing of the 5 personalities plus the 3 × 165 2018 pairs', () => {
    const { pairs, responses } = loadMicrosoftChitchat();
    // 9,793 phrasings per file: SOURCE.md's 9,883 (witty 9,882) also counts the "- editorial = chitchat" lines.
    expect(pairs.length).toBe(5 * 9793 + 3 * 165);
    expect(responses).toHaveLength(123 + 161 + 201);
  });

  it('SGD train: 7,451 dialogues', () => {
    expect(loadSgdDialogues('train')).toHaveLength(7451);
  });
});
