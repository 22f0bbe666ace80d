import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DefinitionError } from '../../errors.js';
import { importRasa, isRasaDocument, loadDefinition, parseDefinition } from './index.js';

const fixtures = fileURLToPath(new URL('./__fixtures__/', import.meta.url));

function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

/** Warnings with the fixture folder removed from their paths. */
function relative(warnings: string[]): string[] {
  return warnings.map((warning) => warning.replace(fixtures, ''));
}

describe('importRasa: NLU training data', () => {
  const definition = importRasa(readFileSync(`${fixtures}rasa/nlu.yml`, 'utf8'), 'nlu.yml');

  it('imports intents with their examples, merging block and list styles', () => {
    expect(definition.name).toBe('nlu');
    expect(definition.intents.map((intent) => [intent.name, intent.examples.map((e) => e.text)])).toEqual([
      ['greet', ['hey', 'hello there']],
      [
        'check_balance',
        [
          'what is my savings balance',
          'how much is in my pink pig',
          "what's left in my credit card",
          'show the balance of checking',
        ],
      ],
      ['weather', ['weather in NYC', 'is it raining in Paris', 'forecast for london']],
      ['goodbye', ['bye', 'see you']],
    ]);
  });

  it('turns entities touched by synonyms or lookups into enum slots', () => {
    expect(definition.slots).toEqual([
      {
        name: 'account',
        type: 'enum',
        values: [
          { value: 'savings', synonyms: ['pink pig', 'piggy bank'] },
          { value: 'credit card', synonyms: [] },
          { value: 'checking', synonyms: [] },
        ],
      },
      {
        name: 'city',
        type: 'enum',
        values: [
          { value: 'London', synonyms: [] },
          { value: 'Berlin', synonyms: [] },
          { value: 'New York', synonyms: ['NYC'] },
          { value: 'Paris', synonyms: [] },
        ],
      },
    ]);
  });

  it('sets the canonical value on spans whose text is a synonym', () => {
    const [, balance, weather] = definition.intents;
    expect(balance.examples[1].slots).toEqual([{ slot: 'account', start: 18, end: 26, value: 'savings' }]);
    expect(weather.examples.map((example) => example.slots)).toEqual([
      [{ slot: 'city', start: 11, end: 14, value: 'New York' }],
      [{ slot: 'city', start: 17, end: 22 }],
      [{ slot: 'city', start: 13, end: 19, value: 'London' }],
    ]);
  });

  it('reports everything it could not use, with its location', () => {
    expect(definition.warnings).toEqual([
      "nlu.yml:8:3: 'metadata' of intent 'check_balance' ignored",
      'nlu.yml:13:38: "role" in entity annotation ignored (Duet has no entity roles or groups)',
      "nlu.yml:20:5: each line of an examples block must start with '- '; example skipped",
      "nlu.yml:29:3: regex 'account_number' ignored: Duet does not use regular expression features",
      "nlu.yml:36:5: 'metadata' of example ignored",
    ]);
  });

  it('makes an entity with no synonym or lookup a text slot', () => {
    const plain = importRasa(
      yaml('version: "3.1"', 'nlu:', '- intent: remind', '  examples: |', '    - remind me to [call mom](task)'),
      'nlu.yml',
    );
    expect(plain.slots).toEqual([{ name: 'task', type: 'text' }]);
  });
});

describe('loadDefinition: a Rasa project (nlu, domain, rules, config)', () => {
  it('binds responses through simple rules and warns about the rest', async () => {
    const definition = await loadDefinition(`${fixtures}rasa`);
    expect(definition.language).toBe('en');
    expect(definition.responses).toEqual({
      utter_greet: ['Hey! How are you?', 'Hello {name}!'],
      utter_goodbye: ['Bye'],
    });
    expect(definition.intents.map((intent) => [intent.name, intent.response])).toEqual([
      ['greet', 'utter_greet'],
      ['check_balance', undefined],
      ['weather', undefined],
      ['goodbye', 'utter_goodbye'],
    ]);
    expect(relative(definition.warnings)).toEqual([
      "rasa/config.yml:1:1: 'recipe' ignored: Duet trains its own NLU model",
      "rasa/config.yml:3:1: 'pipeline' ignored: Duet trains its own NLU model",
      "rasa/config.yml:7:1: 'policies' ignored: Duet has its own dialogue policies",
      "rasa/config.yml:9:1: 'assistant_id' ignored: not used by Duet",
      "rasa/domain.yml:10:5: roles, groups and other options of entity 'city' ignored",
      "rasa/domain.yml:12:1: 'slots' ignored: Duet fills slots from entities of the same name; Rasa slot mappings are not imported",
      "rasa/domain.yml:21:7: 'buttons' of variation 1 of response 'utter_greet' ignored (Duet responses are text only)",
      "rasa/domain.yml:25:7: 'condition' of variation 2 of response 'utter_greet' ignored (not supported)",
      "rasa/domain.yml:32:7: 'image' of variation 1 of response 'utter_cheer_up' ignored (Duet responses are text only)",
      "rasa/domain.yml:32:7: variation 1 of response 'utter_cheer_up' has no text; skipped",
      "rasa/domain.yml:31:3: response 'utter_cheer_up' has no text variation; skipped",
      "rasa/domain.yml:33:1: 'actions' ignored: custom actions become Duet skills written in TypeScript",
      "rasa/domain.yml:35:1: 'session_config' ignored: Duet does not use session settings",
      "rasa/nlu.yml:8:3: 'metadata' of intent 'check_balance' ignored",
      'rasa/nlu.yml:13:38: "role" in entity annotation ignored (Duet has no entity roles or groups)',
      "rasa/nlu.yml:20:5: each line of an examples block must start with '- '; example skipped",
      "rasa/nlu.yml:29:3: regex 'account_number' ignored: Duet does not use regular expression features",
      "rasa/nlu.yml:36:5: 'metadata' of example ignored",
      "rasa/rules.yml:11:3: rule 'Check balance' ignored: only rules of the form 'intent → utter_ response' are imported",
      "rasa/rules.yml:15:1: 'stories' ignored: Duet has no story-based policy; bind a response or skill to each intent instead",
      "rasa/domain.yml:7:5: intent 'bot_challenge' is listed in the domain but has no examples; ignored",
    ]);
  });
});

describe('Rasa files among other files', () => {
  it('merges one intent spread over two Rasa files', () => {
    const nlu = (example: string) => yaml('version: "3.1"', 'nlu:', '- intent: greet', '  examples: |', `    - ${example}`);
    const definition = parseDefinition([
      { file: 'a.yml', text: nlu('hi') },
      { file: 'b.yml', text: nlu('hello') },
    ]);
    expect(definition.intents).toEqual([
      {
        name: 'greet',
        examples: [
          { text: 'hi', intent: 'greet', slots: [] },
          { text: 'hello', intent: 'greet', slots: [] },
        ],
      },
    ]);
  });

  it('uses slot types declared in a Duet file for Rasa entities', () => {
    const definition = parseDefinition([
      { file: 'slots.yml', text: yaml('assistant: mixed', 'slots:', '  when: datetime') },
      {
        file: 'nlu.yml',
        text: yaml('version: "3.1"', 'nlu:', '- intent: remind', '  examples: |', '    - remind me [tomorrow](when)'),
      },
    ]);
    expect(definition.name).toBe('mixed');
    expect(definition.slots).toEqual([{ name: 'when', type: 'datetime' }]);
    expect(definition.intents[0].examples[0].slots).toEqual([{ slot: 'when', start: 10, end: 18 }]);
  });

  it('rejects an intent defined both in a Duet and in a Rasa file', () => {
    expect(() =>
      parseDefinition([
        { file: 'duet.yml', text: yaml('intents:', '  greet:', '    examples: [hi]') },
        { file: 'nlu.yml', text: yaml('version: "3.1"', 'nlu:', '- intent: greet', '  examples: |', '    - hello') },
      ]),
    ).toThrow("nlu.yml:3:11: intent 'greet' is already defined at duet.yml:2:3");
  });
});

describe('Rasa errors', () => {
  it.each<[string, string, string]>([
    [
      'a malformed annotation',
      yaml('version: "3.1"', 'nlu:', '- intent: greet', '  examples: |', '    - hi [there(name)'),
      "nlu.yml:5:10: '[' is never closed; write '\\[' for a literal bracket",
    ],
    ['an nlu section that is not a list', yaml('version: "3.1"', 'nlu: greet'), "nlu.yml:2:1: 'nlu' must be a list"],
    [
      'a Duet intents mapping inside a Rasa file',
      yaml('version: "3.1"', 'intents:', '  greet: {}'),
      "nlu.yml:2:1: 'intents' in a Rasa file must be a list of intent names (domain format)",
    ],
    [
      'a duplicate response',
      yaml('version: "3.1"', 'responses:', '  utter_hi: [{text: hi}]', '  utter_hi: [{text: hello}]'),
      "nlu.yml:4:3: response 'utter_hi' is defined twice (first at line 3)",
    ],
  ])('%s', (_name, text, message) => {
    expect(() => importRasa(text, 'nlu.yml')).toThrow(DefinitionError);
    expect(() => importRasa(text, 'nlu.yml')).toThrow(message);
  });

  it('warns about an untested format version and an intent left without examples', () => {
    const definition = importRasa(
      yaml('version: "1.0"', 'nlu:', '- intent: greet', '  examples: |', '    - hi', '- intent: empty', '  examples: ""'),
      'nlu.yml',
    );
    expect(definition.warnings).toEqual([
      "nlu.yml:1:10: Rasa format version '1.0' is untested; read as 3.1",
      "nlu.yml:6:11: intent 'empty' has no usable examples; skipped",
    ]);
  });
});

describe('isRasaDocument', () => {
  it.each<[unknown, boolean]>([
    [{ version: '3.1', nlu: [] }, true],
    [{ version: '3.1', responses: {} }, true],
    [{ intents: ['greet'], responses: {} }, true],
    [{ pipeline: [], language: 'en' }, true],
    [{ assistant: 'demo', intents: {} }, false],
    [{ intents: { greet: { examples: [] } } }, false],
    [null, false],
    [['a'], false],
  ])('%j → %s', (data, expected) => {
    expect(isRasaDocument(data)).toBe(expected);
  });
});
