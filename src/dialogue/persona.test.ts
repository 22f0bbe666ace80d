import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDefinition } from '../data/definition/index.js';
import type { AssistantDefinition } from '../data/types.js';
import { ResponseEncoder } from '../model/response-encoder.js';
import { createMemoryStore } from '../store/memory-store.js';
import { pretrainToy, TOY_PERSONA_QUESTIONS, TOY_PERSONAS, toyPersonaCorpus } from '../train/__fixtures__/toy-pretrained.js';
import { noteSkill } from './__fixtures__/note-skill.js';
import { Assistant, type Understander } from './assistant.js';
import { buildResponseIndex, RetrievalChatter, type ReplyWriter, type TextEncoder } from './chatter.js';
import { factAnswering, factsFor, personaFacts, textsForStyle } from './persona.js';

const FACTS = [
  'I live on your computer, not in the cloud.',
  'I keep your reminders and lists in a SQLite file.',
  'I only speak English.',
  'I was written in TypeScript.',
];
const DUET = { name: 'Duet', facts: FACTS };

describe('persona facts', () => {
  it('lead with the name when no fact says it', () => {
    expect(personaFacts(DUET)[0]).toBe('My name is Duet.');
    expect(personaFacts({ name: 'Duet', facts: ["I'm Duet, your assistant."] })).toEqual(["I'm Duet, your assistant."]);
  });

  it('answer a question about the assistant with the fact that shares its words', () => {
    const facts = personaFacts(DUET);
    expect(factAnswering(facts, "what's your name?")?.fact).toBe('My name is Duet.');
    expect(factAnswering(facts, 'Where do you live?')?.fact).toBe(FACTS[0]);
    expect(factAnswering(facts, 'what languages do you speak')?.fact).toBe(FACTS[2]);
    expect(factAnswering(facts, 'do you speak French?')).toMatchObject({ fact: FACTS[2], score: 0.5 });
    expect(factAnswering(facts, 'where do you keep my lists?')?.fact).toBe(FACTS[1]);
  });

  it('leave other messages to the chat policy', () => {
    const facts = personaFacts(DUET);
    // Not about the assistant: no "you".
    expect(factAnswering(facts, 'I live in Paris')).toBeNull();
    // About it, but nothing a fact says (only function words, or too little in common).
    expect(factAnswering(facts, 'how are you?')).toBeNull();
    expect(factAnswering(facts, 'do you like old films and jazz?')).toBeNull();
    expect(factAnswering(facts, 'where do you live?', 1.01)).toBeNull();
  });

  it('pick the facts a message is most about, in the persona order, else the first ones', () => {
    expect(factsFor(FACTS, 'do you speak other languages? were you written in python?', 2)).toEqual([FACTS[2], FACTS[3]]);
    expect(factsFor(FACTS, 'tell me a joke', 2)).toEqual(FACTS.slice(0, 2));
    expect(factsFor(FACTS, 'anything', 10)).toEqual(FACTS);
  });
});

describe('response styles', () => {
  const texts = ['Hi.', 'Yo!', 'Good day.'];
  const styles = [[], ['witty'], ['professional']] as const;
  it('prefer texts of the style, untagged ones counting for every style', () => {
    expect(textsForStyle(texts, styles.map((s) => [...s]), 'witty')).toEqual(['Hi.', 'Yo!']);
    expect(textsForStyle(texts, styles.map((s) => [...s]), 'professional')).toEqual(['Hi.', 'Good day.']);
    expect(textsForStyle(texts, styles.map((s) => [...s]), 'friendly')).toEqual(['Hi.']);
  });
  it('fall back to every text when none suits, and keep untagged responses whole', () => {
    expect(textsForStyle(['Yo!'], [['witty']], 'caring')).toEqual(['Yo!']);
    expect(textsForStyle(texts, undefined, 'witty')).toBe(texts);
  });
});

/** Intents `greet` (a response) and `add_note` (a task); everything else out of scope. */
const understander: Understander = {
  async understand(text) {
    if (/^(hi|hello)/.test(text)) return { intent: 'greet', confidence: 0.99, slots: [] };
    if (text.startsWith('note ')) return { intent: 'add_note', confidence: 0.99, slots: [{ slot: 'text', value: text.slice(5), text: text.slice(5), start: 5, end: text.length }] };
    return { intent: 'out_of_scope', confidence: 0.9, slots: [] };
  },
};
const note = noteSkill;

function definitionWith(...lines: string[]): AssistantDefinition {
  return parseDefinition({
    file: 'a.yml',
    text: [
      'out_of_scope: out_of_scope',
      'slots: { text: text }',
      'intents:',
      '  greet: { response: utter_greet, examples: [hi] }',
      '  add_note: { skill: notes.add, examples: ["note [milk](text)"] }',
      '  out_of_scope: { examples: [book a flight] }',
      ...lines,
    ].join('\n'),
  });
}

async function replies(definition: AssistantDefinition, texts: string[], chatter?: RetrievalChatter) {
  const assistant = new Assistant({ understander, definition, chatter, skills: [note], store: createMemoryStore(), timeZone: 'UTC' });
  const results = [];
  for (const text of texts) results.push(await assistant.handle({ user: 'ann', text }));
  return results;
}

describe('an assistant with a persona', () => {
  const TAGGED = [
    'responses:',
    '  utter_greet:',
    '    - Hi, I am {persona.name}.',
    '    - text: Yo! {persona.name} here. What is cooking?',
    '      style: witty',
    '    - text: Good day. {persona.name} at your service.',
    '      style: [professional, caring]',
  ];

  it('fills {persona.name} and answers with the texts of its style, rotating among them', async () => {
    const witty = definitionWith(...TAGGED, 'persona: { name: Duet, style: witty }');
    const said = (await replies(witty, ['hi', 'hi', 'hi', 'hi'])).map((r) => r.reply);
    expect(new Set(said)).toEqual(new Set(['Hi, I am Duet.', 'Yo! Duet here. What is cooking?']));
    const professional = definitionWith(...TAGGED, 'persona: { name: Ada, style: professional }');
    expect(new Set((await replies(professional, ['hi', 'hi', 'hi'])).map((r) => r.reply))).toEqual(new Set(['Hi, I am Ada.', 'Good day. Ada at your service.']));
    // The default style is friendly: only the untagged text suits it.
    const friendly = definitionWith(...TAGGED, 'persona: { name: Duet }');
    expect(new Set((await replies(friendly, ['hi', 'hi', 'hi'])).map((r) => r.reply))).toEqual(new Set(['Hi, I am Duet.']));
  });

  it('answers exactly as before without persona or styles', async () => {
    const plain = definitionWith('responses:', '  utter_greet: [One., Two., Three.]');
    // Turn n (from 1) says texts[n % 3], as it always did.
    expect((await replies(plain, ['hi', 'hi', 'hi', 'hi'])).map((r) => r.reply)).toEqual(['Two.', 'Three.', 'One.', 'Two.']);
  });

  it('fills slots too, and never reads a typed value as a persona placeholder', async () => {
    const definition = definitionWith('responses:', '  utter_greet: "{persona.name} says hi to {name}"', 'persona: { name: Duet }');
    const assistant = new Assistant({
      understander: { understand: async (text) => ({ intent: 'greet', confidence: 0.99, slots: [{ slot: 'name', value: text.slice(3), text: text.slice(3), start: 3, end: text.length }] }) },
      definition,
      skills: [],
      store: createMemoryStore(),
      timeZone: 'UTC',
    });
    expect((await assistant.handle({ user: 'ann', text: 'hi Bob' })).reply).toBe('Duet says hi to Bob');
    expect((await assistant.handle({ user: 'ann', text: 'hi {persona.name}' })).reply).toBe('Duet says hi to {persona.name}');
  });
});

/** Unit bag-of-words vectors: retrieval is predictable, and what the encoder was given is recorded. */
function recordingEncoder(): TextEncoder & { contexts: string[][] } {
  const vocab = ['film', 'movie', 'great', 'weather', 'sunny', 'live', 'computer'];
  const bag = (text: string) => {
    const v = new Float32Array(vocab.length);
    for (const word of text.toLowerCase().match(/[a-z]+/g) ?? []) if (vocab.includes(word)) v[vocab.indexOf(word)] += 1;
    const norm = Math.hypot(...v) || 1;
    return v.map((x) => x / norm);
  };
  const contexts: string[][] = [];
  return {
    contexts,
    encodeContexts: async (batch) => (contexts.push(...batch), batch.map((turns) => bag(turns.join(' ')))),
    encodeResponses: async (texts) => texts.map(bag),
  };
}

describe('RetrievalChatter with a persona', () => {
  it('answers a question about the assistant with the fact, even when said before', async () => {
    const encoder = recordingEncoder();
    const chatter = new RetrievalChatter(encoder, await buildResponseIndex(encoder, ['That film was great!']), { minScore: 0.3, minKnownWords: 0 });
    const asked = { context: [], exclude: new Set(['I live on your computer, not in the cloud.']), persona: DUET };
    expect(await chatter.reply({ ...asked, text: 'where do you live?' })).toEqual({ text: FACTS[0], source: 'persona', score: 1 });
    expect(await chatter.reply({ ...asked, text: "What's your name?" })).toMatchObject({ text: 'My name is Duet.', source: 'persona' });
    // Not answered by a fact: retrieval, as without a persona.
    expect(await chatter.reply({ ...asked, text: 'what a great film' })).toMatchObject({ text: 'That film was great!', source: 'retrieval' });
    expect(encoder.contexts).toHaveLength(1);
  });

  it('reads the facts the message is most about before the conversation, for ranking and for generation', async () => {
    const encoder = recordingEncoder();
    const prompts: string[][] = [];
    const generator: ReplyWriter = { reply: async (context) => (prompts.push(context), { text: 'A generated reply.' }) };
    const chatter = new RetrievalChatter(encoder, await buildResponseIndex(encoder, ['That film was great!']), { minScore: 0.99, generator, personaFacts: 2, minKnownWords: 0 });
    const reply = await chatter.reply({ context: ['hello', 'Hi!', 'nice weather'], text: 'is it sunny where the computer is', exclude: new Set(), persona: DUET });
    expect(reply).toMatchObject({ text: 'A generated reply.', source: 'generation' });
    const facts = ['My name is Duet.', FACTS[0]];
    // The ranker reads 3 turns: the facts take the oldest place.
    expect(encoder.contexts).toEqual([[facts.join(' '), 'nice weather', 'is it sunny where the computer is']]);
    // The generator reads each fact as a turn before the last 3 of the conversation.
    expect(prompts).toEqual([[...facts, 'Hi!', 'nice weather', 'is it sunny where the computer is']]);
  });

  it('the Assistant hands it the persona; a fact is the reply and runs nothing', async () => {
    const encoder = recordingEncoder();
    const chatter = new RetrievalChatter(encoder, await buildResponseIndex(encoder, ['That film was great!']), { minScore: 0.3, minKnownWords: 0 });
    const definition = definitionWith('responses: { utter_greet: Hi }', 'persona:', '  name: Duet', '  facts:', ...FACTS.map((f) => `    - ${f}`));
    const [name, home, task] = await replies(definition, ["what's your name?", 'where do you live?', 'note I live on your computer'], chatter);
    expect(name).toMatchObject({ reply: 'My name is Duet.', action: null, chat: { source: 'persona', score: 1 } });
    expect(home).toMatchObject({ reply: FACTS[0], action: null, chat: { source: 'persona' } });
    // A task is a task, whatever words it shares with a fact.
    expect(task).toMatchObject({ reply: 'Noted: I live on your computer.', action: { skill: 'notes.add', status: 'done' } });
    expect(task.chat).toBeUndefined();
  });
});

describe('RetrievalChatter with a persona and a pretrained ranker', () => {
  let dir: string;
  let encoder: ResponseEncoder;
  beforeAll(async () => {
    dir = await pretrainToy(toyPersonaCorpus(), { steps: 100, layers: 1 });
    encoder = await ResponseEncoder.load(dir);
  }, 120_000);
  afterAll(() => {
    encoder?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ranks the answer of the persona whose fact it read before the question', async () => {
    const index = await buildResponseIndex(encoder, TOY_PERSONAS.map((p) => p.answer));
    const chatter = new RetrievalChatter(encoder, index, { minScore: -1, minKnownWords: 0 });
    for (const persona of TOY_PERSONAS) {
      // The name is in the fact, so the fact is all the ranker reads before the question.
      const facts = { name: persona.fact.replace(/^i am a (.*) \.$/, '$1'), facts: [persona.fact] };
      for (const text of TOY_PERSONA_QUESTIONS) {
        expect(await chatter.reply({ context: [], text, exclude: new Set(), persona: facts }), `${persona.fact} ${text}`).toMatchObject({ text: persona.answer, source: 'retrieval' });
      }
    }
  });
});
