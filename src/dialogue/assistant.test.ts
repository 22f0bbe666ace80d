import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AssistantDefinition } from '../data/types.js';
import type { Skill } from '../skills/types.js';
import { createMemoryStore } from '../store/memory-store.js';
import type { Store } from '../store/types.js';
import type { UnderstandContext } from '../model/context-encoding.js';
import { Assistant, type Understander } from './assistant.js';
import { replay, type ConversationEvent, type TurnSlot } from './events.js';

/** A scripted model: each text maps to an intent and its slot spans (found by substring). */
function fakeModel(script: Record<string, [string, number, Record<string, string>?, [string, number][]?]>): Understander {
  return {
    async understand(text) {
      const [intent, confidence, slots = {}, alternatives] = script[text] ?? ['out_of_scope', 0.9, {}];
      const ranking = alternatives ? [{ intent, confidence }, ...alternatives.map(([i, c]) => ({ intent: i, confidence: c }))] : undefined;
      const spans: TurnSlot[] = Object.entries(slots).map(([slot, value]) => {
        const start = text.indexOf(value);
        if (start < 0) throw new Error(`test script: "${value}" not in "${text}"`);
        return { slot, value, text: value, start, end: start + value.length };
      });
      return { intent, confidence, slots: spans, ranking };
    },
  };
}

/** A tiny hour parser so the dialogue tests do not depend on the real date parser. */
function parseHour(text: string) {
  const m = /\b(\d{1,2})\s*(am|pm)?\b/i.exec(text);
  if (!m || Number(m[1]) > 12) return { ok: false as const, reason: `I couldn't read "${text}" as a time.`, example: '5pm' };
  return { ok: true as const, value: `${Number(m[1]) + (m[2]?.toLowerCase() === 'pm' ? 12 : 0)}:00` };
}

const note: Skill<{ text: string; at: string }> = {
  name: 'notes.add',
  description: 'take notes',
  slots: [
    { name: 'text', required: true, prompt: 'What should the note say?', example: 'buy milk', parse: (t) => ({ ok: true, value: t }) },
    {
      name: 'at',
      required: true,
      prompt: 'For what time?',
      example: '5pm',
      parse: parseHour,
      find: (u) => {
        const m = /\b\d{1,2}\s*(am|pm)\b/i.exec(u);
        const parsed = m ? parseHour(m[0]) : null;
        return m && parsed?.ok ? { value: parsed.value, text: m[0] } : null;
      },
    },
  ],
  args: z.object({ text: z.string().min(1), at: z.string().regex(/^\d+:00$/) }),
  run(args, ctx) {
    const [item] = ctx.store.addListItems('notes', [`${args.text} @ ${args.at}`], ctx.now);
    return { reply: `Noted: ${args.text} at ${args.at}.`, result: { id: item.id } };
  },
  undo(result, ctx) {
    return ctx.store.removeItem((result as { id: number }).id);
  },
};

const clear: Skill<Record<string, never>> = {
  name: 'notes.clear',
  description: 'clear notes',
  slots: [],
  args: z.object({}),
  confirm: (_args, ctx) => {
    const n = ctx.store.listItems('notes').length;
    return n > 0 ? `Delete all ${n} notes?` : null;
  },
  run(_args, ctx) {
    return { reply: `Deleted ${ctx.store.clearList('notes')} notes.` };
  },
};

const definition: AssistantDefinition = {
  name: 'test',
  language: 'en',
  outOfScopeIntent: 'out_of_scope',
  slots: [],
  warnings: [],
  responses: { utter_joke: ['Why did the note cross the road?'] },
  intents: [
    { name: 'add_note', skill: 'notes.add', examples: [] },
    { name: 'clear_notes', skill: 'notes.clear', examples: [] },
    { name: 'joke', response: 'utter_joke', examples: [] },
    ...['affirm', 'deny', 'cancel', 'correct', 'help', 'out_of_scope'].map((name) => ({ name, examples: [] })),
  ],
};

const script: Record<string, [string, number, Record<string, string>?]> = {
  'note buy milk at 5pm': ['add_note', 0.95, { text: 'buy milk', at: '5pm' }],
  'note buy milk': ['add_note', 0.95, { text: 'buy milk' }],
  'add a note': ['add_note', 0.95],
  'at 5pm please': ['out_of_scope', 0.5],
  'whenever': ['out_of_scope', 0.4],
  '6pm': ['out_of_scope', 0.3],
  'no, make it 6pm': ['correct', 0.9, { at: '6pm' }],
  'never mind': ['cancel', 0.95],
  'cancel that': ['cancel', 0.95],
  'scrap that': ['clear_notes', 0.9],
  'hmm, what can you do?': ['help', 0.4],
  'and at 6pm?': ['out_of_scope', 0.6],
  'and you?': ['out_of_scope', 0.6],
  'no, buy eggs not milk': ['correct', 0.9, { text: 'buy eggs not milk' }],
  'no, not 5pm': ['correct', 0.9, { at: '5pm' }],
  'tell me a joke': ['joke', 0.92],
  'clear my notes': ['clear_notes', 0.95],
  yes: ['affirm', 0.97],
  no: ['deny', 0.97],
  'purple elephants': ['out_of_scope', 0.5],
  'what can you do': ['help', 0.95],
  'book a flight': ['out_of_scope', 0.9],
};

function setup(store: Store = createMemoryStore()) {
  const now = new Date('2026-11-25T10:00:00Z');
  const assistant = new Assistant({ understander: fakeModel(script), definition, skills: [note, clear], store, timeZone: 'UTC', now: () => now });
  return { assistant, store, say: (text: string, user = 'alice') => assistant.handle({ user, text }) };
}

describe('Assistant (dialogue manager)', () => {
  it('runs a task whose slots are all in the request', async () => {
    const { say, store } = setup();
    const turn = await say('note buy milk at 5pm');
    expect(turn.action).toMatchObject({ skill: 'notes.add', status: 'done', args: { text: 'buy milk', at: '17:00' } });
    expect(turn.reply).toBe('Noted: buy milk at 17:00.');
    expect(turn.slots).toEqual({ text: 'buy milk', at: '5pm' });
    expect(store.forUser('alice').listItems('notes').map((i) => i.text)).toEqual(['buy milk @ 17:00']);
  });

  it('asks for each missing slot and accepts fragment answers', async () => {
    const { say } = setup();
    const first = await say('add a note');
    expect(first.reply).toBe('What should the note say?');
    expect(first.action).toMatchObject({ status: 'needs_slot', args: {} });
    const second = await say('purple elephants');
    expect(second.reply).toBe('For what time?');
    expect(second.action).toMatchObject({ status: 'needs_slot', args: { text: 'purple elephants' } });
    const third = await say('at 5pm please');
    expect(third.action).toMatchObject({ status: 'done', args: { text: 'purple elephants', at: '17:00' } });
  });

  it('says why a value is invalid and asks again with an example', async () => {
    const { say } = setup();
    await say('note buy milk');
    const bad = await say('whenever');
    expect(bad.reply).toContain(`couldn't read "whenever"`);
    expect(bad.reply).toContain('For what time?');
    expect(bad.reply).toContain('"5pm"');
    expect(bad.action?.status).toBe('needs_slot');
    expect((await say('6pm')).action).toMatchObject({ status: 'done', args: { at: '18:00' } });
  });

  it('cancels a task in progress and forgets it', async () => {
    const { say, store } = setup();
    await say('note buy milk');
    const cancelled = await say('never mind');
    expect(cancelled.action).toMatchObject({ skill: 'notes.add', status: 'cancelled' });
    const after = await say('6pm');
    expect(after.action).toBeNull();
    expect(store.forUser('alice').listItems('notes')).toHaveLength(0);
  });

  it('confirms destructive actions: yes runs, no keeps, something else asks again', async () => {
    const { say, store } = setup();
    await say('note buy milk at 5pm');
    expect((await say('clear my notes')).action).toMatchObject({ status: 'needs_confirmation' });
    const unclear = await say('purple elephants');
    expect(unclear.reply).toMatch(/yes or no/i);
    expect((await say('no')).action).toMatchObject({ status: 'cancelled' });
    expect(store.forUser('alice').listItems('notes')).toHaveLength(1);
    await say('clear my notes');
    expect((await say('yes')).action).toMatchObject({ skill: 'notes.clear', status: 'done' });
    expect(store.forUser('alice').listItems('notes')).toHaveLength(0);
  });

  it('handles a digression and goes back to the task', async () => {
    const { say } = setup();
    await say('note buy milk');
    const aside = await say('tell me a joke');
    expect(aside.reply).toContain('Why did the note cross the road?');
    expect(aside.reply).toContain('For what time?');
    expect((await say('6pm')).action).toMatchObject({ status: 'done', args: { text: 'buy milk', at: '18:00' } });
  });

  it('corrects the task just done: undoes it and runs it again', async () => {
    const { say, store } = setup();
    await say('note buy milk at 5pm');
    const corrected = await say('no, make it 6pm');
    expect(corrected.action).toMatchObject({ status: 'done', args: { text: 'buy milk', at: '18:00' } });
    expect(store.forUser('alice').listItems('notes').map((i) => i.text)).toEqual(['buy milk @ 18:00']);
  });

  it('takes a question that is not the value asked for as a change of subject, even when the model is unsure of it', async () => {
    const { say } = setup();
    await say('note buy milk');
    const aside = await say('hmm, what can you do?');
    expect(aside.reply).toContain('take notes');
    expect(aside.reply).toContain('For what time?');
    expect((await say('6pm')).action).toMatchObject({ status: 'done', args: { text: 'buy milk', at: '18:00' } });
  });

  it('answers a question asked while a confirmation waits, then asks again', async () => {
    const { say, store } = setup();
    await say('note buy milk at 5pm');
    await say('clear my notes');
    const aside = await say('hmm, what can you do?');
    expect(aside.reply).toContain('take notes');
    expect(aside.reply).toContain('Delete all 1 notes?');
    expect((await say('yes')).action).toMatchObject({ skill: 'notes.clear', status: 'done' });
    expect(store.forUser('alice').listItems('notes')).toHaveLength(0);
  });

  it('does the task just done again with the value an elliptical follow-up gives ("and at 6pm?")', async () => {
    const { say, store } = setup();
    await say('note buy milk at 5pm');
    expect((await say('and at 6pm?')).action).toMatchObject({ skill: 'notes.add', status: 'done', args: { text: 'buy milk', at: '18:00' } });
    expect(store.forUser('alice').listItems('notes').map((i) => i.text)).toEqual(['buy milk @ 17:00', 'buy milk @ 18:00']);
    // A follow-up that gives no value of that task is not one.
    expect((await say('and you?')).action).toBeNull();
  });

  it('reads a correction without the old value it contrasts with', async () => {
    const { say, store } = setup();
    await say('note buy milk at 5pm');
    expect((await say('no, buy eggs not milk')).action).toMatchObject({ status: 'done', args: { text: 'buy eggs', at: '17:00' } });
    expect(store.forUser('alice').listItems('notes').map((i) => i.text)).toEqual(['buy eggs @ 17:00']);
    // Only the old value said: nothing to change it to.
    expect((await say('no, not 5pm')).reply).toMatch(/What should I change/);
  });

  it('"cancel that" right after an action takes it back', async () => {
    const { say, store } = setup();
    await say('note buy milk at 5pm');
    expect((await say('cancel that')).action).toMatchObject({ status: 'cancelled' });
    expect(store.forUser('alice').listItems('notes')).toHaveLength(0);
    expect((await say('cancel that')).reply).toBe("There's nothing to cancel.");
  });

  it('takes a message that is only a cancel phrase as cancel, whatever the model heard', async () => {
    const { say, store } = setup();
    await say('note buy milk at 5pm');
    const turn = await say('scrap that');
    expect(turn.intent).toBe('cancel');
    expect(turn.action).toMatchObject({ skill: 'notes.add', status: 'cancelled' });
    expect(store.forUser('alice').listItems('notes')).toHaveLength(0);
  });

  it('declines out-of-scope requests saying what it can do, and answers help', async () => {
    const { say } = setup();
    const oos = await say('book a flight');
    expect(oos.reply).toBe("Sorry, I can't help with that. I can take notes.");
    expect(oos.action).toBeNull();
    expect((await say('what can you do')).reply).toContain('take notes');
  });

  it('keeps conversations of different users apart', async () => {
    const { say } = setup();
    await say('note buy milk', 'alice');
    const bob = await say('6pm', 'bob');
    expect(bob.action).toBeNull();
    expect((await say('6pm', 'alice')).action?.status).toBe('done');
  });

  it('rebuilds a conversation from its stored events', async () => {
    const store = createMemoryStore();
    await setup(store).say('note buy milk');
    const restarted = setup(store);
    expect((await restarted.say('6pm')).action).toMatchObject({ status: 'done', args: { text: 'buy milk' } });
  });

  it('sees the turns another process stored when it does not cache conversations', async () => {
    const store = createMemoryStore();
    const make = () =>
      new Assistant({ understander: fakeModel(script), definition, skills: [note, clear], store, timeZone: 'UTC', cacheConversations: false });
    const first = make();
    const second = make();
    await first.handle({ user: 'alice', text: 'note buy milk' });
    expect((await second.handle({ user: 'alice', text: '6pm' })).action).toMatchObject({ status: 'done', args: { text: 'buy milk', at: '18:00' } });
    // The first process does not answer the question again: the task is done.
    expect((await first.handle({ user: 'alice', text: '6pm' })).action).toBeNull();
  });

  it('validates arguments against the schema before running', async () => {
    const { say, store } = setup();
    const weird: Skill<{ text: string; at: string }> = { ...note, slots: note.slots.map((s) => (s.name === 'at' ? { ...s, parse: () => ({ ok: true, value: 'at dawn' }) } : s)) };
    const assistant = new Assistant({ understander: fakeModel(script), definition, skills: [weird, clear], store, timeZone: 'UTC' });
    const turn = await assistant.handle({ user: 'carol', text: 'note buy milk at 5pm' });
    expect(turn.action?.status).toBe('needs_slot');
    expect(store.forUser('carol').listItems('notes')).toHaveLength(0);
    void say;
  });

  it('reads only the first characters of a very long message and says so', async () => {
    const { say } = setup();
    const turn = await say('x'.repeat(10_000));
    expect(turn.reply).toContain('only its first 1,000 characters');
  });
});

describe('Assistant: a value pointed back to with a pronoun', () => {
  const folderSlot = { name: 'folder', required: false, prompt: 'Which folder?', example: 'work', parse: (t: string) => ({ ok: true as const, value: t }) };
  const file: Skill<{ doc: string; folder?: string }> = {
    name: 'docs.file',
    description: 'file documents',
    slots: [{ name: 'doc', required: true, prompt: 'Which document?', example: 'the lease', parse: (t) => ({ ok: true, value: t }) }, folderSlot],
    args: z.object({ doc: z.string(), folder: z.string().optional() }),
    run: (args) => ({ reply: `Filed ${args.doc} in ${args.folder ?? 'inbox'}.` }),
  };
  const show: Skill<{ folder?: string }> = {
    name: 'docs.show',
    description: 'show folders',
    slots: [folderSlot],
    args: z.object({ folder: z.string().optional() }),
    run: (args) => ({ reply: `Showing ${args.folder ?? 'inbox'}.` }),
  };
  const docsDefinition: AssistantDefinition = {
    ...definition,
    intents: [
      { name: 'file_doc', skill: 'docs.file', examples: [] },
      { name: 'show_folder', skill: 'docs.show', examples: [] },
      { name: 'joke', response: 'utter_joke', examples: [] },
      ...['affirm', 'deny', 'cancel', 'correct', 'help', 'out_of_scope'].map((name) => ({ name, examples: [] })),
    ],
  };
  const docsScript: Record<string, [string, number, Record<string, string>?, [string, number][]?]> = {
    'hang on, what is in it?': ['joke', 0.6, {}, [['show_folder', 0.25]]],
    'tell me a joke about it': ['joke', 0.9, {}, [['show_folder', 0.05]]],
    'file the lease in taxes': ['file_doc', 0.95, { doc: 'the lease', folder: 'taxes' }],
    "what's in it?": ['show_folder', 0.95],
    "what's in my folder?": ['show_folder', 0.95],
    'file that memo': ['file_doc', 0.95, { doc: 'that memo' }],
  };
  const start = () => {
    const assistant = new Assistant({ understander: fakeModel(docsScript), definition: docsDefinition, skills: [file, show], store: createMemoryStore(), timeZone: 'UTC' });
    return (text: string) => assistant.handle({ user: 'dana', text });
  };

  it('takes the value from the task just finished', async () => {
    const say = start();
    await say('file the lease in taxes');
    expect((await say("what's in it?")).action).toMatchObject({ skill: 'docs.show', status: 'done', args: { folder: 'taxes' } });
  });

  it('reads a message pointing back at the task in hand as a request about it when the model finds that plausible', async () => {
    const say = start();
    await say('file the lease in taxes');
    const turn = await say('hang on, what is in it?');
    expect(turn.intent).toBe('show_folder');
    expect(turn.action).toMatchObject({ skill: 'docs.show', status: 'done', args: { folder: 'taxes' } });
    await say('file the lease in taxes');
    expect((await say('tell me a joke about it')).action).toBeNull();
  });

  it('does not carry a value over without a pronoun, or for a pronoun inside a value', async () => {
    const say = start();
    await say('file the lease in taxes');
    expect((await say("what's in my folder?")).action?.args).toEqual({});
    await say('file the lease in taxes');
    expect((await say('file that memo')).action?.args).toEqual({ doc: 'that memo' });
  });
});

describe('Assistant: a request without the free text it cannot go without', () => {
  const add: Skill<{ thing: string }> = {
    name: 'things.add',
    description: 'keep things',
    slots: [
      {
        name: 'thing',
        required: true,
        prompt: 'What should I keep?',
        example: 'a pen',
        frame: /^keep\s+(.+?)\s+safe$/i,
        parse: (t) => ({ ok: true, value: t }),
      },
    ],
    args: z.object({ thing: z.string() }),
    run: (args) => ({ reply: `Keeping ${args.thing}.` }),
  };
  const thingsDefinition: AssistantDefinition = {
    ...definition,
    intents: [{ name: 'keep', skill: 'things.add', examples: [] }, ...['affirm', 'deny', 'cancel', 'correct', 'help', 'out_of_scope'].map((name) => ({ name, examples: [] }))],
  };
  const start = (reread: Record<string, TurnSlot[] | null>) => {
    const understander: Understander = {
      understand: async () => ({ intent: 'keep', confidence: 0.95, slots: [] }),
      understandRequiring: async (text) => reread[text] ?? null,
    };
    const assistant = new Assistant({ understander, definition: thingsDefinition, skills: [add], store: createMemoryStore(), timeZone: 'UTC' });
    return (text: string) => assistant.handle({ user: 'erin', text });
  };

  it('takes the value the model reads when asked for one, else the slot frame, else asks', async () => {
    const say = start({ 'keep the ring safe': [{ slot: 'thing', value: 'ring', text: 'ring', start: 9, end: 13 }] });
    expect((await say('keep the ring safe')).action).toMatchObject({ status: 'done', args: { thing: 'ring' } });
    expect((await say('keep my keys safe')).action).toMatchObject({ status: 'done', args: { thing: 'my keys' } });
    expect((await say('keep something safe')).action).toMatchObject({ status: 'needs_slot' });
  });
});

describe('Assistant: the conversation handed to a context-mode model', () => {
  /** The scripted model in a context mode, recording what each call was given; in memory mode it returns [turn number, incoming memory's first value]. */
  function contextModel(mode: Understander['contextMode'], fingerprint = 'model-a', shape: [number, number] = [1, 2]) {
    const calls: { text: string; context?: UnderstandContext }[] = [];
    const base = fakeModel(script);
    const understander: Understander = {
      ...(mode && { contextMode: mode }),
      ...(mode === 'memory' && { fingerprint, memoryShape: shape }),
      async understand(text, context) {
        calls.push({ text, context });
        const u = await base.understand(text);
        return mode === 'memory' ? { ...u, memory: Float32Array.from({ length: shape[0] * shape[1] }, (_, i) => (i === 0 ? calls.length : (context?.memory?.[0] ?? -1))) } : u;
      },
    };
    return { understander, calls };
  }
  const make = (understander: Understander, store: Store, log: string[] = []) =>
    new Assistant({ understander, definition, skills: [note, clear], store, timeZone: 'UTC', log: (line) => log.push(line) });

  it('gives a model without a context mode the message alone, as before', async () => {
    const { understander, calls } = contextModel(undefined);
    const assistant = make(understander, createMemoryStore());
    await assistant.handle({ user: 'alice', text: 'note buy milk' });
    await assistant.handle({ user: 'alice', text: '6pm' });
    expect(calls.map((c) => c.context)).toEqual([undefined, undefined]);
  });

  it('passes the recent turns, the assistant’s as "assistant", to a concat model', async () => {
    const { understander, calls } = contextModel('concat');
    const store = createMemoryStore();
    const assistant = make(understander, store);
    await assistant.handle({ user: 'alice', text: 'note buy milk' });
    const turn = await assistant.handle({ user: 'alice', text: '6pm' });
    expect(turn.action).toMatchObject({ status: 'done', args: { text: 'buy milk', at: '18:00' } });
    expect(calls[0].context).toEqual({ history: [] });
    expect(calls[1].context).toEqual({
      history: [
        { speaker: 'user', text: 'note buy milk' },
        { speaker: 'assistant', text: 'For what time?' },
      ],
    });
    // Nothing else is stored for a concat model: its context is the turns themselves.
    expect(store.loadEvents('alice').some((e) => 'memory' in (e.data as object))).toBe(false);
  });

  it('stores a memory model’s memory with each user turn and gives it back on the next, also after a restart', async () => {
    const store = createMemoryStore();
    const first = contextModel('memory');
    const assistant = make(first.understander, store);
    await assistant.handle({ user: 'alice', text: 'note buy milk' });
    await assistant.handle({ user: 'alice', text: 'never mind' });
    expect(first.calls[0].context).toEqual({ history: [] });
    expect(first.calls[1].context?.memory).toEqual(Float32Array.from([1, -1]));
    expect(first.calls[1].context?.history).toHaveLength(2);
    const events = store.loadEvents('alice').map((e) => e.data as ConversationEvent);
    expect(replay(events).memory).toMatchObject({ model: 'model-a', shape: [1, 2] });

    // A new process replays the stored events: the memory of the last turn comes back.
    const restarted = contextModel('memory');
    const log: string[] = [];
    await make(restarted.understander, store, log).handle({ user: 'alice', text: 'tell me a joke' });
    expect(restarted.calls[0].context?.memory).toEqual(Float32Array.from([2, 1]));
    expect(log).toEqual([]);
  });

  it('resets a memory another model wrote (or of another shape) with one warning, never feeding it to the model', async () => {
    const store = createMemoryStore();
    await make(contextModel('memory').understander, store).handle({ user: 'alice', text: 'note buy milk' });
    for (const other of [contextModel('memory', 'model-b'), contextModel('memory', 'model-a', [2, 2])]) {
      const log: string[] = [];
      const assistant = make(other.understander, store, log);
      await assistant.handle({ user: 'alice', text: 'never mind' });
      await assistant.handle({ user: 'alice', text: 'tell me a joke' });
      expect(other.calls[0].context?.memory).toBeUndefined();
      expect(other.calls[1].context?.memory).toHaveLength(other.understander.memoryShape![0] * other.understander.memoryShape![1]);
      expect(log).toHaveLength(1);
      expect(log[0]).toMatch(/^warning: conversation "alice": its stored memory (was written by another model|is 1 × 2, this model's is 2 × 2)/);
    }
  });

  it('records the reset when an empty message leaves no new memory, so the warning is not repeated', async () => {
    const store = createMemoryStore();
    await make(contextModel('memory').understander, store).handle({ user: 'alice', text: 'note buy milk' });
    const log: string[] = [];
    const other = contextModel('memory', 'model-b');
    const assistant = make(other.understander, store, log);
    await assistant.handle({ user: 'alice', text: '   ' });
    expect(replay(store.loadEvents('alice').map((e) => e.data as ConversationEvent)).memory).toBeUndefined();
    await make(other.understander, store, log).handle({ user: 'alice', text: 'tell me a joke' });
    expect(other.calls).toHaveLength(1);
    expect(other.calls[0].context?.memory).toBeUndefined();
    expect(log).toHaveLength(1);
  });
});
