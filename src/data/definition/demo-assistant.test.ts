import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { AssistantDefinition } from '../types.js';
import { definitionToExamples, loadDefinition } from './index.js';
import { trainedPartsDiffer } from './trained-parts.js';

const exampleDir = fileURLToPath(new URL('../../../examples/assistant', import.meta.url));

const example = await loadDefinition(exampleDir);

/** The task intents of docs/demo-assistant.md: skill, and the slots each may carry (required first). */
const TASKS: Record<string, { skill: string; required: string[]; optional: string[] }> = {
  set_reminder: { skill: 'reminders.create', required: ['task', 'when'], optional: [] },
  list_reminders: { skill: 'reminders.list', required: [], optional: ['when'] },
  cancel_reminder: { skill: 'reminders.cancel', required: [], optional: ['reminder', 'number'] },
  cancel_all_reminders: { skill: 'reminders.cancel_all', required: [], optional: [] },
  add_todo: { skill: 'todos.add', required: ['item'], optional: ['list'] },
  show_list: { skill: 'todos.show', required: [], optional: ['list'] },
  check_off_todo: { skill: 'todos.check_off', required: ['item'], optional: ['list'] },
  remove_todo: { skill: 'todos.remove', required: ['item'], optional: ['list'] },
  clear_list: { skill: 'todos.clear', required: [], optional: ['list'] },
  list_lists: { skill: 'todos.lists', required: [], optional: [] },
  set_timer: { skill: 'timers.start', required: ['duration'], optional: ['name'] },
  list_timers: { skill: 'timers.list', required: [], optional: [] },
  timer_remaining: { skill: 'timers.remaining', required: [], optional: ['name'] },
  cancel_timer: { skill: 'timers.cancel', required: [], optional: ['name'] },
  calculate: { skill: 'calculator.evaluate', required: ['expression'], optional: [] },
  convert_units: { skill: 'units.convert', required: ['quantity', 'unit'], optional: [] },
  ask_time: { skill: 'clock.time', required: [], optional: ['city'] },
  ask_date: { skill: 'clock.date', required: [], optional: [] },
  weekday_of_date: { skill: 'clock.weekday', required: ['date'], optional: [] },
  days_until: { skill: 'clock.days_until', required: ['date'], optional: [] },
};
const DIALOGUE = ['greet', 'goodbye', 'thanks', 'help', 'affirm', 'deny', 'cancel', 'correct', 'out_of_scope'];

describe('the demo assistant in examples/assistant', () => {
  const intent = (name: string) => example.intents.find((candidate) => candidate.name === name);
  const slotsUsed = (name: string) => new Set(intent(name)?.examples.flatMap((e) => e.slots.map((s) => s.slot)));

  it('loads from its folder without warnings', () => {
    expect(example.warnings).toEqual([]);
    expect(example.name).toBe('duet-demo');
    expect(example.language).toBe('en');
    expect(example.outOfScopeIntent).toBe('out_of_scope');
  });

  it('declares the slots of docs/demo-assistant.md with their types', () => {
    expect(Object.fromEntries(example.slots.map((s) => [s.name, s.type]))).toEqual({
      task: 'text', when: 'datetime', reminder: 'text', number: 'number', item: 'text', list: 'text',
      duration: 'duration', name: 'text', expression: 'text', quantity: 'quantity', unit: 'text',
      city: 'text', date: 'datetime',
    });
  });

  it('has exactly the task, dialogue and chitchat intents of the contract', () => {
    const names = example.intents.map((i) => i.name);
    expect(names.filter((n) => !n.startsWith('chitchat.')).sort()).toEqual([...Object.keys(TASKS), ...DIALOGUE].sort());
    expect(names.filter((n) => n.startsWith('chitchat.')).length).toBeGreaterThan(50);
  });

  it('binds every task intent to its skill, with at least 60 examples', () => {
    for (const [name, { skill }] of Object.entries(TASKS)) {
      expect(intent(name)?.skill, name).toBe(skill);
      expect(intent(name)?.examples.length, name).toBeGreaterThanOrEqual(60);
    }
  });

  it('annotates the slots each task carries, and no others', () => {
    for (const [name, { required, optional }] of Object.entries(TASKS)) {
      const used = slotsUsed(name);
      for (const slot of required) expect(used.has(slot), `${name} annotates ${slot}`).toBe(true);
      for (const slot of used) expect([...required, ...optional], `${name} annotates ${slot}`).toContain(slot);
    }
    expect(slotsUsed('correct').size).toBeGreaterThanOrEqual(10);
  });

  it('leaves the prepositions out of when and date spans, and to/about out of task spans', () => {
    for (const { name, examples } of example.intents) {
      for (const { text, slots } of examples) {
        for (const span of slots) {
          const value = text.slice(span.start, span.end);
          if (span.slot === 'when' || span.slot === 'date') expect(value, `${name}: ${text}`).not.toMatch(/^(at|on|for|by) /i);
          if (span.slot === 'task') expect(value, `${name}: ${text}`).not.toMatch(/^(to|about|that) /i);
        }
      }
    }
  });

  it('answers every dialogue and chitchat intent with a defined response', () => {
    for (const { name, skill, response } of example.intents) {
      if (name in TASKS) continue;
      expect(skill, name).toBeUndefined();
      expect(response !== undefined && example.responses[response]?.length > 0, name).toBe(true);
    }
    for (const name of ['greet', 'goodbye', 'thanks', 'help', 'affirm', 'deny', 'cancel']) {
      expect(intent(name)?.examples.length, name).toBeGreaterThanOrEqual(40);
    }
    expect(intent('correct')?.examples.length).toBeGreaterThanOrEqual(60);
    expect(intent('out_of_scope')?.examples.length).toBeGreaterThanOrEqual(250);
  });

  it('keeps generated small talk to at most 40 phrasings per intent', () => {
    for (const { name, examples } of example.intents.filter((i) => i.name.startsWith('chitchat.'))) {
      expect(name).toMatch(/^chitchat\.[a-z0-9_]+$/);
      expect(examples.length, name).toBeLessThanOrEqual(40);
    }
  });

  it('has no sentence under two intents', () => {
    const texts = definitionToExamples(example).map((e) => e.text.toLowerCase().replace(/\s+/g, ' ').trim());
    expect(new Set(texts).size).toBe(texts.length);
  });

  it('has a persona with a name and facts, which two responses use', () => {
    expect(example.persona).toMatchObject({ name: 'Duet', style: 'friendly' });
    expect(example.persona?.facts).toContain('My name is Duet.');
    expect(example.persona?.facts).toContain('I only speak English.');
    const using = Object.entries(example.responses).filter(([, texts]) => texts.some((t) => t.includes('{persona.name}')));
    expect(using.map(([key]) => key).sort()).toEqual(['utter_chitchat_your_name', 'utter_greet']);
  });

  it('ships a model trained on this definition, which answers with its current responses and persona', () => {
    const modelDir = `${exampleDir}/model`;
    const stored = JSON.parse(readFileSync(`${modelDir}/assistant.json`, 'utf8')) as AssistantDefinition;
    // Intents, examples and slots are what the model learnt: the persona must not change them.
    expect(trainedPartsDiffer(stored, example)).toBeUndefined();
    const config = JSON.parse(readFileSync(`${modelDir}/config.json`, 'utf8')) as { config: { heads: { intentLabels: string[] } } };
    expect([...config.config.heads.intentLabels].sort()).toEqual(example.intents.map((i) => i.name).sort());
    // The runtime answers from assistant.json: refreshed by tools/refresh-model-definition.mts.
    expect(stored.persona).toEqual(example.persona);
    expect(stored.responses).toEqual(example.responses);
  });
});
