import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { definitionToExamples, loadDefinition } from './index.js';

const demoFile = fileURLToPath(new URL('../../../assistants/demo/assistant.yml', import.meta.url));

const definition = await loadDefinition(demoFile);

describe('the bundled demo assistant', () => {
  const intent = (name: string) => definition.intents.find((candidate) => candidate.name === name);

  it('loads without warnings and declares its out-of-scope intent', () => {
    expect(definition.warnings).toEqual([]);
    expect(definition.name).toBe('demo');
    expect(definition.language).toBe('en');
    expect(definition.outOfScopeIntent).toBe('out_of_scope');
  });

  it('has the intents the skills and chat need, each with 12 to 30 examples', () => {
    expect(definition.intents.map((i) => i.name).sort()).toEqual(
      [
        'add_todo', 'affirm', 'bot_name', 'calculate', 'cancel', 'cancel_reminder', 'convert_units', 'date_today',
        'deny', 'goodbye', 'greet', 'help', 'how_are_you', 'joke', 'list_reminders', 'out_of_scope',
        'set_reminder', 'set_timer', 'show_list', 'thanks', 'time_in_city',
      ].sort(),
    );
    for (const { name, examples } of definition.intents) {
      expect(examples.length, name).toBeGreaterThanOrEqual(name === 'out_of_scope' ? 25 : 12);
      expect(examples.length, name).toBeLessThanOrEqual(name === 'out_of_scope' ? 40 : 30);
    }
  });

  it('binds every intent to a skill or to a response', () => {
    for (const { name, skill, response } of definition.intents) {
      expect(skill !== undefined || (response !== undefined && response in definition.responses), name).toBe(true);
    }
  });

  it('annotates the task slots, normalising enum synonyms', () => {
    const slotsUsed = (name: string) => new Set(intent(name)?.examples.flatMap((e) => e.slots.map((s) => s.slot)));
    expect(slotsUsed('set_reminder')).toEqual(new Set(['task', 'when']));
    expect(slotsUsed('add_todo')).toEqual(new Set(['item', 'list']));
    expect(slotsUsed('set_timer')).toEqual(new Set(['duration', 'name']));
    expect(slotsUsed('convert_units')).toEqual(new Set(['quantity', 'unit']));
    expect(slotsUsed('time_in_city')).toEqual(new Set(['city']));
    const groceries = intent('add_todo')?.examples.find((e) => e.text.includes('my groceries'));
    expect(groceries?.slots).toContainEqual({ slot: 'list', start: 29, end: 38, value: 'shopping' });
  });

  it('has no sentence under two intents', () => {
    const texts = definitionToExamples(definition).map((e) => e.text.toLowerCase());
    expect(new Set(texts).size).toBe(texts.length);
  });
});
