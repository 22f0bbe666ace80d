import { describe, expect, it } from 'vitest';
import type { AssistantDefinition } from '../data/types.js';
import { createMemoryStore } from '../store/memory-store.js';
import { noteSkill } from './__fixtures__/note-skill.js';
import { Assistant, type Chatter, type Understander } from './assistant.js';
import { buildResponseIndex, RetrievalChatter, streamedParts, type TextEncoder } from './chatter.js';

/** Unit bag-of-words vectors over a fixed vocabulary: enough to make retrieval predictable. */
const VOCAB = ['weather', 'sunny', 'rain', 'movie', 'film', 'great', 'hello', 'hi', 'food', 'pizza'];
function bag(text: string): Float32Array {
  const v = new Float32Array(VOCAB.length);
  for (const word of text.toLowerCase().match(/[a-z]+/g) ?? []) {
    const i = VOCAB.indexOf(word);
    if (i >= 0) v[i] += 1;
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}
const encoder: TextEncoder = {
  encodeContexts: async (contexts) => contexts.map((turns) => bag(turns.join(' '))),
  encodeResponses: async (texts) => texts.map(bag),
};
const CANDIDATES = ['It is sunny, great weather.', 'Rain all day, sadly.', 'That film was great!', 'Hi, hello there!', 'Pizza is my favourite food.', 'Pizza is my favourite food.'];

describe('RetrievalChatter', () => {
  it('indexes each candidate once and answers with the best one not said yet', async () => {
    const index = await buildResponseIndex(encoder, CANDIDATES);
    expect(index.texts).toHaveLength(5);
    const chatter = new RetrievalChatter(encoder, index, { minScore: 0.3, minKnownWords: 0 });
    const first = await chatter.reply({ context: [], text: 'what a great film, the movie', exclude: new Set() });
    expect(first).toMatchObject({ text: 'That film was great!', source: 'retrieval' });
    const second = await chatter.reply({ context: [], text: 'what a great film, the movie', exclude: new Set(['That film was great!']) });
    expect(second?.text).not.toBe('That film was great!');
  });

  it('generates when nothing retrieved is close enough, and says nothing without a generator', async () => {
    const index = await buildResponseIndex(encoder, CANDIDATES);
    const asked: string[][] = [];
    const generator = { reply: async (context: string[]) => (asked.push(context), { text: 'A generated reply.' }) };
    const withGenerator = new RetrievalChatter(encoder, index, { minScore: 0.9, generator, minKnownWords: 0 });
    expect(await withGenerator.reply({ context: ['earlier'], text: 'quantum chromodynamics', exclude: new Set() })).toMatchObject({ text: 'A generated reply.', source: 'generation' });
    expect(asked).toEqual([['earlier', 'quantum chromodynamics']]);
    const without = new RetrievalChatter(encoder, index, { minScore: 0.9, minKnownWords: 0 });
    expect(await without.reply({ context: [], text: 'quantum chromodynamics', exclude: new Set() })).toBeNull();
  });

  it('gives no small talk to a message mostly of words its index never uses (another language, noise, emoji)', async () => {
    const index = await buildResponseIndex(encoder, CANDIDATES);
    const generator = { reply: async () => ({ text: 'A generated reply.' }) };
    const chatter = new RetrievalChatter(encoder, index, { minScore: -1, generator });
    for (const text of ['asdkjh qwpoeiru zxmcnv', 'comment ça va ?', '👍🎉😀', '']) expect(await chatter.reply({ context: [], text, exclude: new Set() }), text).toBeNull();
    // Half the words known is enough ("pizza" and "is" are in the index; "yummy" and "truly" are not).
    expect(await chatter.reply({ context: [], text: 'pizza is truly yummy', exclude: new Set() })).toMatchObject({ text: 'Pizza is my favourite food.' });
  });

  it('gives no small talk, retrieved or generated, to a message its request gate calls a request', async () => {
    const index = await buildResponseIndex(encoder, CANDIDATES);
    const generated: string[][] = [];
    const generator = { reply: async (context: string[]) => (generated.push(context), { text: 'Sure, I will order it.' }) };
    const requestGate = { isRequest: async (text: string) => /^(order|book)\b/i.test(text) };
    const chatter = new RetrievalChatter(encoder, index, { minScore: 0.3, generator, requestGate, minKnownWords: 0 });
    expect(await chatter.reply({ context: [], text: 'order me a pizza', exclude: new Set() })).toBeNull();
    expect(generated).toEqual([]);
    expect(await chatter.reply({ context: [], text: 'pizza is great food', exclude: new Set() })).toMatchObject({ text: 'Pizza is my favourite food.', source: 'retrieval' });
  });
  it("ranks with the encoder's own index scorer when it has one, and with the loop when that fails to start", async () => {
    const index = await buildResponseIndex(encoder, CANDIDATES);
    const calls: number[] = [];
    // A scorer that favours the last candidate whatever the query, so using it shows in the reply.
    const favourLast = { scores: async () => (calls.push(1), Float32Array.from(index.texts, (_, i) => (i === index.texts.length - 1 ? 1 : 0))) };
    const withScorer = new RetrievalChatter({ ...encoder, indexScorer: async () => favourLast }, index, { minScore: 0.3, minKnownWords: 0 });
    expect(await withScorer.reply({ context: [], text: 'what a great film, the movie', exclude: new Set() })).toMatchObject({ text: index.texts[index.texts.length - 1] });
    expect(calls).toHaveLength(1);
    const failing = new RetrievalChatter({ ...encoder, indexScorer: () => Promise.reject(new Error('no engine')) }, index, { minScore: 0.3, minKnownWords: 0 });
    expect(await failing.reply({ context: [], text: 'what a great film, the movie', exclude: new Set() })).toMatchObject({ text: 'That film was great!' });
  });
});

describe('streamedParts', () => {
  it('passes on each word once it is final, never the word still being written', () => {
    const parts: string[] = [];
    const update = streamedParts((p) => parts.push(p), new Set());
    for (const text of [' Hello', ' Hello wor', ' Hello world', ' Hello world ,', ' Hello world, how', ' Hello world, how are you?']) update(text);
    expect(parts).toEqual(['Hello', ' world', ',', ' how are']);
    expect('Hello world, how are you?'.startsWith(parts.join(''))).toBe(true);
  });

  it('holds the text back while a reply it must not repeat starts with it', () => {
    const parts: string[] = [];
    const update = streamedParts((p) => parts.push(p), new Set([' I like it a lot. ']));
    for (const text of ['I like it', 'I like it a', 'I like pizza', 'I like pizza very']) update(text);
    // "I like" could still have become the excluded reply: it goes out only with "pizza".
    expect(parts).toEqual(['I like pizza']);
  });
});

describe('RetrievalChatter streaming a generated reply', () => {
  it('passes on the start of the reply as the generator writes it; a retrieved reply is not streamed', async () => {
    const index = await buildResponseIndex(encoder, CANDIDATES);
    const written = ['Well', 'Well I', 'Well I never', 'Well I never did.'];
    const generator = {
      reply: async (_context: string[], options: { onText?: (textSoFar: string) => void }) => {
        for (const text of written) options.onText?.(text);
        return { text: written.at(-1)! };
      },
    };
    const chatter = new RetrievalChatter(encoder, index, { minScore: 0.9, generator, minKnownWords: 0 });
    const parts: string[] = [];
    const reply = await chatter.reply({ context: [], text: 'tell me a story', exclude: new Set(), onText: (p) => parts.push(p) });
    expect(reply).toMatchObject({ text: 'Well I never did.', source: 'generation' });
    expect(parts).toEqual(['Well', ' I', ' never']);
    const retrievedParts: string[] = [];
    const retrieving = new RetrievalChatter(encoder, index, { minScore: 0.3, generator, minKnownWords: 0 });
    expect(await retrieving.reply({ context: [], text: 'what a great film, the movie', exclude: new Set(), onText: (p) => retrievedParts.push(p) })).toMatchObject({ source: 'retrieval' });
    expect(retrievedParts).toEqual([]);
  });
});

describe('Assistant with a chatter', () => {
  const note = noteSkill;
  const definition: AssistantDefinition = {
    name: 'test',
    language: 'en',
    outOfScopeIntent: 'out_of_scope',
    slots: [],
    warnings: [],
    responses: {},
    intents: [{ name: 'add_note', skill: 'notes.add', examples: [] }, { name: 'out_of_scope', examples: [] }],
  };
  const understander: Understander = {
    async understand(text) {
      if (text.startsWith('note')) return { intent: 'add_note', confidence: 0.95, slots: [] };
      return { intent: 'out_of_scope', confidence: 0.9, slots: [] };
    },
  };
  function setup() {
    const calls: { context: string[]; text: string; exclude: string[] }[] = [];
    const replies = ['First small-talk reply.', 'Second small-talk reply.'];
    const chatter: Chatter = {
      async reply(input) {
        calls.push({ context: input.context, text: input.text, exclude: [...input.exclude] });
        const text = replies.find((r) => !input.exclude.has(r));
        return text ? { text, source: 'retrieval', score: 0.8 } : null;
      },
    };
    const assistant = new Assistant({ understander, chatter, definition, skills: [note], store: createMemoryStore(), timeZone: 'UTC' });
    return { calls, say: (text: string) => assistant.handle({ user: 'ann', text }) };
  }

  /** A chatter that streams its reply in three parts when asked to. */
  function streaming(maxInputChars?: number) {
    const asked: boolean[] = [];
    const chatter: Chatter = {
      async reply(input) {
        asked.push(Boolean(input.onText));
        for (const part of ['A', ' generated', ' reply']) input.onText?.(part);
        return { text: 'A generated reply, in full.', source: 'generation', score: 0.2 };
      },
    };
    const assistant = new Assistant({ understander, chatter, definition, skills: [note], store: createMemoryStore(), timeZone: 'UTC', ...(maxInputChars && { maxInputChars }) });
    const say = async (text: string) => {
      const parts: string[] = [];
      const result = await assistant.handle({ user: 'ann', text, onReplyText: (p) => parts.push(p) });
      return { parts, result };
    };
    return { asked, say };
  }

  it('streams a chat reply that will be the whole reply, and only such a one', async () => {
    const { asked, say } = streaming(40);
    const plain = await say('tell me about your day');
    expect(plain.parts).toEqual(['A', ' generated', ' reply']);
    expect(plain.result.reply).toBe('A generated reply, in full.');
    expect(plain.result.reply.startsWith(plain.parts.join(''))).toBe(true);
    // "and …" may follow up a task (decide() reads it after the chat reply is written): not streamed.
    expect((await say('and what about tomorrow')).parts).toEqual([]);
    // A cut message is answered with a note before the chat reply: not streamed either.
    const long = await say('tell me a long story about a dragon and a knight who met');
    expect(long.parts).toEqual([]);
    expect(long.result.reply).toMatch(/^\(That was a long message.*A generated reply, in full\.$/);
    expect(asked).toEqual([true, false, false]);
  });

  it('answers an out-of-scope turn with the chatter, with the conversation as context and its own replies excluded', async () => {
    const { calls, say } = setup();
    const first = await say('tell me about your day');
    expect(first).toMatchObject({ reply: 'First small-talk reply.', action: null, chat: { source: 'retrieval', score: 0.8 } });
    const second = await say('and then?');
    expect(second.reply).toBe('Second small-talk reply.');
    expect(calls[1]).toEqual({ context: ['tell me about your day', 'First small-talk reply.'], text: 'and then?', exclude: ['First small-talk reply.'] });
    // Nothing left that was not said: the usual refusal.
    expect((await say('hmm')).reply).toMatch(/can't help/);
  });

  it('never consults it for a task, nor while a question is pending', async () => {
    const { calls, say } = setup();
    const asked = await say('note');
    expect(asked.reply).toBe('What should the note say?');
    const answer = await say('buy milk');
    expect(answer.reply).toBe('Noted: buy milk.');
    expect(calls).toEqual([]);
  });
});

describe('response index files', () => {
  it('round-trips through the folder in half precision, and names a missing file', async () => {
    const { mkdtempSync, rmSync, unlinkSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { loadResponseIndex, saveResponseIndex, RESPONSE_INDEX_FILES } = await import('./chatter.js');
    const dir = mkdtempSync(join(tmpdir(), 'duet-index-'));
    try {
      const index = await buildResponseIndex(encoder, CANDIDATES);
      saveResponseIndex(dir, index, ['toy']);
      const loaded = loadResponseIndex(dir);
      expect(loaded.texts).toEqual(index.texts);
      expect(loaded.dim).toBe(index.dim);
      for (let i = 0; i < index.vectors.length; i++) expect(loaded.vectors[i]).toBeCloseTo(index.vectors[i], 3);
      unlinkSync(join(dir, RESPONSE_INDEX_FILES.vectors));
      expect(() => loadResponseIndex(dir)).toThrow(/response-index\.safetensors is missing: build the response index with `duet index-responses/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
