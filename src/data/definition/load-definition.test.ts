import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { errorOf, yaml } from './__fixtures__/parse-errors.js';
import { DefinitionError, DuetError } from '../../errors.js';
import { definitionToExamples, loadDefinition, parseDefinition } from './index.js';

const fixtures = fileURLToPath(new URL('./__fixtures__/', import.meta.url));


const GREET = ['  greet:', '    examples: |', '      - hi', '      - hello'];

describe('parseDefinition: the Duet format', () => {
  it('reads slots, intents with both example styles, responses and the out-of-scope intent', () => {
    const definition = parseDefinition({
      file: 'a.yml',
      text: yaml(
        'assistant: demo',
        'language: en',
        'out_of_scope: other',
        'slots:',
        '  when: { type: datetime }',
        '  task: text',
        '  list: { type: enum, values: [ { value: shopping, synonyms: [groceries] }, todo ] }',
        'intents:',
        '  greet:',
        '    response: utter_greet',
        '    examples: |',
        '      - hi',
        '',
        '      - hello there',
        '  set_reminder:',
        '    skill: reminders.create',
        '    examples:',
        '      - remind me to [call mom](task) [tomorrow at 5pm](when)',
        '      - "[Tomorrow](when) put [eggs](task) on the [Groceries](list) list"',
        '  other:',
        '    examples: [book a flight]',
        'responses:',
        '  utter_greet: [ "Hello! How can I help?" ]',
        '  utter_bye: Bye!',
      ),
    });
    expect(definition).toEqual({
      name: 'demo',
      language: 'en',
      outOfScopeIntent: 'other',
      slots: [
        { name: 'when', type: 'datetime' },
        { name: 'task', type: 'text' },
        {
          name: 'list',
          type: 'enum',
          values: [
            { value: 'shopping', synonyms: ['groceries'] },
            { value: 'todo', synonyms: [] },
          ],
        },
      ],
      intents: [
        {
          name: 'greet',
          response: 'utter_greet',
          examples: [
            { text: 'hi', intent: 'greet', slots: [] },
            { text: 'hello there', intent: 'greet', slots: [] },
          ],
        },
        {
          name: 'set_reminder',
          skill: 'reminders.create',
          examples: [
            {
              text: 'remind me to call mom tomorrow at 5pm',
              intent: 'set_reminder',
              slots: [
                { slot: 'task', start: 13, end: 21 },
                { slot: 'when', start: 22, end: 37 },
              ],
            },
            {
              text: 'Tomorrow put eggs on the Groceries list',
              intent: 'set_reminder',
              slots: [
                { slot: 'when', start: 0, end: 8 },
                { slot: 'task', start: 13, end: 17 },
                { slot: 'list', start: 25, end: 34, value: 'shopping' },
              ],
            },
          ],
        },
        { name: 'other', examples: [{ text: 'book a flight', intent: 'other', slots: [] }] },
      ],
      responses: { utter_greet: ['Hello! How can I help?'], utter_bye: ['Bye!'] },
      warnings: [],
    });
  });

  it('names the assistant after the file and uses English when the file does not say', () => {
    const definition = parseDefinition({ file: 'dir/shop.yaml', text: yaml('intents:', ...GREET) });
    expect(definition.name).toBe('shop');
    expect(definition.language).toBe('en');
    expect(definition.outOfScopeIntent).toBeUndefined();
  });

  it('treats an intent named out_of_scope as the out-of-scope intent', () => {
    const definition = parseDefinition({
      file: 'a.yml',
      text: yaml('intents:', ...GREET, '  out_of_scope:', '    examples: [order a pizza]'),
    });
    expect(definition.outOfScopeIntent).toBe('out_of_scope');
  });

  it('warns about an example given to two intents, and about an empty file', () => {
    const definition = parseDefinition([
      { file: 'a.yml', text: yaml('intents:', ...GREET, '  hello:', '    examples: [Hello, hey]') },
      { file: 'empty.yml', text: '# nothing yet\n' },
    ]);
    expect(definition.warnings).toEqual([
      'empty.yml:1:1: file is empty',
      "a.yml:7:16: example 'Hello' is also an example of intent 'greet' (a.yml:5:9)",
    ]);
  });

  it('places annotation warnings at their column in a block string', () => {
    const definition = parseDefinition({
      file: 'a.yml',
      text: yaml(
        'slots: { city: text }',
        'intents:',
        '  fly:',
        '    examples: |',
        '      - fly from [Rome]{"entity": "city", "role": "from"}',
      ),
    });
    expect(definition.warnings).toEqual([
      'a.yml:5:24: "role" in entity annotation ignored (Duet has no entity roles or groups)',
    ]);
  });
});

describe('parseDefinition: errors point at file:line:column', () => {
  it.each<[string, string, string]>([
    [
      'YAML syntax',
      yaml('intents:', '  greet:', '    examples: [hi', 'responses: {}'),
      'a.yml:4:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ],
    [
      'an unquoted example starting with [',
      yaml('slots: { task: text }', 'intents:', '  t:', '    examples:', '      - [call mom](task) now'),
      "a.yml:5:19: YAML syntax error: Unexpected scalar at node end (an example that starts with '[' or '{' must be quoted, or written in an 'examples: |' block)",
    ],
    [
      'a top level that is not a mapping',
      yaml('- greet', '- goodbye'),
      "a.yml:1:1: a definition file must be a mapping with keys such as 'assistant', 'slots', 'intents' and 'responses'",
    ],
    [
      'an unknown top-level key',
      yaml('assistant: demo', 'intent:', '  greet: {}'),
      "a.yml:2:1: unknown key 'intent' at the top level (did you mean 'intents'?) (allowed: assistant, language, out_of_scope, slots, intents, responses, persona)",
    ],
    [
      'an unknown key in an intent',
      yaml('intents:', ...GREET, '    respons: utter_greet'),
      "a.yml:6:5: unknown key 'respons' in intent 'greet' (did you mean 'response'?) (allowed: examples, skill, response)",
    ],
    [
      'an unknown key in a slot',
      yaml('slots:', '  list: { type: enum, value: [a] }', 'intents:', ...GREET),
      "a.yml:2:23: unknown key 'value' in slot 'list' (did you mean 'values'?) (allowed: type, values)",
    ],
    [
      'an unknown key in an enum value',
      yaml('slots:', '  list:', '    type: enum', '    values:', '      - { value: a, synonym: [b] }', 'intents:', ...GREET),
      "a.yml:5:21: unknown key 'synonym' in value 1 of slot 'list' (did you mean 'synonyms'?) (allowed: value, synonyms)",
    ],
    [
      'an unknown slot type',
      yaml('slots:', '  when: { type: date }', 'intents:', ...GREET),
      "a.yml:2:17: unknown slot type 'date' (allowed: datetime, duration, number, quantity, text, enum)",
    ],
    [
      'an unknown slot type written as shorthand',
      yaml('slots:', '  task: txt', 'intents:', ...GREET),
      "a.yml:2:9: unknown slot type 'txt' (did you mean 'text'?) (allowed: datetime, duration, number, quantity, text, enum)",
    ],
    [
      'a value of the wrong type',
      yaml('assistant: [demo]', 'intents:', ...GREET),
      "a.yml:1:12: 'assistant' must be a string, not a list (quote it)",
    ],
    [
      'an example that YAML reads as a number',
      yaml('intents:', '  dial:', '    examples:', '      - call home', '      - 911'),
      "a.yml:5:9: example 2 of intent 'dial' must be a string, not a number (quote it)",
    ],
    [
      'examples that are neither a list nor a block',
      yaml('intents:', '  greet:', '    examples: { hi: 1 }'),
      "a.yml:3:15: 'examples' of intent 'greet' must be a list of strings or a block string of '- ' lines, not a mapping",
    ],
    [
      'an intent without examples',
      yaml('intents:', '  greet:', '    response: utter_greet', 'responses: { utter_greet: Hi }'),
      "a.yml:2:3: intent 'greet' is missing 'examples'",
    ],
    [
      'an intent with an empty list of examples',
      yaml('intents:', '  greet:', '    examples: []'),
      "a.yml:2:3: intent 'greet' has no examples",
    ],
    [
      'an intent whose block has no lines',
      yaml('intents:', '  greet:', '    examples: |', '', 'responses: {}'),
      "a.yml:2:3: intent 'greet' has no examples",
    ],
    [
      'a block line without a dash',
      yaml('intents:', '  greet:', '    examples: |', '      - hi', '      hello'),
      "a.yml:5:7: each line of an examples block must start with '- '",
    ],
    [
      'an empty example',
      yaml('intents:', '  greet:', '    examples: |', '      - hi', '      -'),
      'a.yml:5:7: empty example',
    ],
    [
      'a folded block, which would join examples',
      yaml('intents:', '  greet:', '    examples: >', '      - hi', '      - hello'),
      "a.yml:3:15: write examples as 'examples: |' ('>' folds the lines into one)",
    ],
    [
      'several YAML documents in one file',
      yaml('intents: {}', '---', 'slots: {}'),
      "a.yml:2:1: a definition file holds one YAML document; put each '---' document in its own file",
    ],
    [
      'a problem inside an escaped string (reported at the string, columns inside are unknown)',
      yaml('intents:', '  remind:', '    examples:', "      - 'it''s [call mom](task)'"),
      "a.yml:4:9: slot 'task' is not declared (no slots are declared)",
    ],
    [
      'a duplicate intent in one file',
      yaml('intents:', ...GREET, '  greet:', '    examples: [hey]'),
      "a.yml:6:3: intent 'greet' is defined twice (first at line 2)",
    ],
    [
      'a duplicate key inside an intent',
      yaml('intents:', ...GREET, '    examples: [hey]'),
      "a.yml:6:5: key 'examples' is defined twice (first at line 3)",
    ],
    [
      'a slot used but not declared (block string)',
      yaml('slots: { task: text }', 'intents:', '  remind:', '    examples: |', '      - remind me to [call mom](taks)'),
      "a.yml:5:22: slot 'taks' is not declared (did you mean 'task'?) (declared slots: task)",
    ],
    [
      'a slot used but not declared (quoted list item)',
      yaml('intents:', '  remind:', '    examples:', '      - "[tomorrow](when) remind me"'),
      "a.yml:4:10: slot 'when' is not declared (no slots are declared)",
    ],
    [
      'a malformed annotation in a block string',
      yaml('slots: { task: text }', 'intents:', '  remind:', '    examples: |', '      - remind me to [call mom(task)'),
      "a.yml:5:22: '[' is never closed; write '\\[' for a literal bracket",
    ],
    [
      'a malformed annotation in a plain list item',
      yaml('slots: { task: text }', 'intents:', '  remind:', '    examples:', '      - remind me to [call mom]'),
      "a.yml:5:22: '[call mom]' must be followed by '(slot)' or '{\"entity\": \"slot\"}'; write '\\[' for a literal bracket",
    ],
    [
      'a text that is not a value of an enum slot',
      yaml('slots:', '  list: { type: enum, values: [shopping, todo] }', 'intents:', '  add:', '    examples: |', '      - add eggs to [food](list)'),
      "a.yml:6:21: 'food' is not a value or synonym of enum slot 'list' (values: shopping, todo)",
    ],
    [
      'an explicit value that is not a value of an enum slot',
      yaml('slots:', '  list: { type: enum, values: [shopping, todo] }', 'intents:', '  add:', '    examples: |', '      - add eggs to [shopping](list:food)'),
      "a.yml:6:21: 'food' is not a value or synonym of enum slot 'list' (values: shopping, todo)",
    ],
    [
      'an enum slot without values',
      yaml('slots:', '  list: { type: enum }', 'intents:', ...GREET),
      "a.yml:2:3: enum slot 'list' needs a non-empty 'values' list",
    ],
    [
      'values on a slot that is not an enum',
      yaml('slots:', '  task:', '    type: text', '    values: [a]', 'intents:', ...GREET),
      "a.yml:4:5: 'values' is only allowed for enum slots (slot 'task' is text)",
    ],
    [
      'a synonym that repeats a value',
      yaml('slots:', '  list:', '    type: enum', '    values:', '      - shopping', '      - { value: food, synonyms: [Shopping] }', 'intents:', ...GREET),
      "a.yml:6:35: 'Shopping' appears twice among the values and synonyms of slot 'list'",
    ],
    [
      'an invalid slot name',
      yaml('slots:', '  my task: text', 'intents:', ...GREET),
      "a.yml:2:3: invalid slot name 'my task' (use letters, digits, '_', '.', '-', '/')",
    ],
    [
      'a response that does not exist',
      yaml('intents:', ...GREET, '    response: utter_gret', 'responses:', '  utter_greet: Hi'),
      "a.yml:6:15: response 'utter_gret' of intent 'greet' is not defined (did you mean 'utter_greet'?)",
    ],
    [
      'an empty response list',
      yaml('intents:', ...GREET, 'responses:', '  utter_greet: []'),
      "a.yml:7:16: response 'utter_greet' must not be empty",
    ],
    [
      'an out_of_scope intent that does not exist',
      yaml('out_of_scope: oos', 'intents:', ...GREET),
      "a.yml:1:15: out_of_scope names intent 'oos', which is not defined",
    ],
  ])('%s', (_name, text, message) => {
    expect(errorOf(text)).toBe(message);
  });

  it('counts lines the same in files with Windows line endings', () => {
    const text = yaml('slots: { task: text }', 'intents:', '  remind:', '    examples: |', '      - to [call mom](taks)');
    expect(errorOf(text.replace(/\n/g, '\r\n'))).toBe(
      "a.yml:5:12: slot 'taks' is not declared (did you mean 'task'?) (declared slots: task)",
    );
  });

  it('reports the error with a stable code and a structured location', () => {
    try {
      parseDefinition({ file: 'a.yml', text: yaml('slots:', '  when: { type: date }') });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DefinitionError);
      const definitionError = error as DefinitionError;
      expect(definitionError.code).toBe('DEFINITION_INVALID');
      expect(definitionError.location).toEqual({ file: 'a.yml', line: 2, column: 17 });
      expect(definitionError.problem).toMatch(/^unknown slot type 'date'/);
    }
  });
});

describe('parseDefinition: merging several files', () => {
  it('rejects a slot declared in two files', () => {
    expect(
      errorOf([
        { file: 'a.yml', text: yaml('slots: { task: text }', 'intents:', ...GREET) },
        { file: 'b.yml', text: yaml('slots:', '  task: datetime') },
      ]),
    ).toBe("b.yml:2:3: slot 'task' is already declared at a.yml:1:10");
  });

  it('rejects a response defined in two files', () => {
    expect(
      errorOf([
        { file: 'a.yml', text: yaml('intents:', ...GREET, 'responses: { hi: Hi }') },
        { file: 'b.yml', text: yaml('responses:', '  hi: Hello') },
      ]),
    ).toBe("b.yml:2:3: response 'hi' is already defined at a.yml:6:14");
  });

  it('rejects two different assistant names', () => {
    expect(
      errorOf([
        { file: 'a.yml', text: yaml('assistant: one', 'intents:', ...GREET) },
        { file: 'b.yml', text: yaml('assistant: two') },
      ]),
    ).toBe("b.yml:1:12: assistant name 'two' conflicts with 'one' set at a.yml:1:12");
  });

  it('checks slots used in one file against declarations in another', () => {
    const definition = parseDefinition([
      { file: 'intents.yml', text: yaml('intents:', '  t:', '    examples: ["[soon](when)"]') },
      { file: 'slots.yml', text: yaml('slots: { when: datetime }') },
    ]);
    expect(definition.intents[0].examples[0].slots).toEqual([{ slot: 'when', start: 0, end: 4 }]);
  });
});

describe('loadDefinition', () => {
  it('loads every YAML file of a directory in name order', async () => {
    const definition = await loadDefinition(`${fixtures}split`);
    expect(definition.name).toBe('split-demo');
    expect(definition.intents.map((intent) => intent.name)).toEqual(['set_reminder', 'greet', 'goodbye']);
    expect(definition.responses).toEqual({ utter_greet: ['Hello!', 'Hi there!'], utter_goodbye: ['Bye!'] });
    expect(definition.intents[0].examples[1]).toEqual({
      text: 'tomorrow remind me to pay rent',
      intent: 'set_reminder',
      slots: [
        { slot: 'when', start: 0, end: 8 },
        { slot: 'task', start: 22, end: 30 },
      ],
    });
  });

  it('loads a list of files and reports a duplicate intent at the second file', async () => {
    const a = `${fixtures}conflict/a.yml`;
    const b = `${fixtures}conflict/b.yml`;
    await expect(loadDefinition([a])).resolves.toMatchObject({ name: 'conflict' });
    await expect(loadDefinition([a, b])).rejects.toThrow(`${b}:4:3: intent 'greet' is already defined at ${a}:3:3`);
  });

  it('reports missing files and empty directories as DEFINITION_NOT_FOUND', async () => {
    await expect(loadDefinition(`${fixtures}nope.yml`)).rejects.toMatchObject({ code: 'DEFINITION_NOT_FOUND' });
    await expect(loadDefinition(fixtures)).rejects.toBeInstanceOf(DuetError);
    await expect(loadDefinition([])).rejects.toThrow('no definition files given');
  });
});

describe('definitionToExamples', () => {
  it('lists the examples of all intents with their intent, as copies', async () => {
    const definition = await loadDefinition(`${fixtures}split`);
    const examples = definitionToExamples(definition);
    expect(examples.map((example) => `${example.intent}: ${example.text}`)).toEqual([
      'set_reminder: remind me to call mom at 5pm',
      'set_reminder: tomorrow remind me to pay rent',
      'greet: hi',
      'greet: hello',
      'goodbye: bye',
      'goodbye: see you',
    ]);
    examples[0].slots[0].start = 99;
    expect(definition.intents[0].examples[0].slots[0].start).toBe(13);
  });
});
