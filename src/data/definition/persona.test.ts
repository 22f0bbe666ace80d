import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorOf, yaml } from './__fixtures__/parse-errors.js';
import { parseDefinition } from './index.js';
import { PERSONA_STYLES } from './persona.js';


/** Lines 1–5: one intent answered by utter_greet. */
const GREET = ['intents:', '  greet:', '    response: utter_greet', '    examples: |', '      - hi'];

describe('persona: in a definition', () => {
  it('reads name, facts (with {persona.name} filled) and style, and tagged response texts', () => {
    const definition = parseDefinition({
      file: 'a.yml',
      text: yaml(
        ...GREET,
        'responses:',
        '  utter_greet:',
        '    - Hello, I am {persona.name}!',
        '    - text: Yo! {persona.name} in the house.',
        '      style: witty',
        '    - text: Good day. How may I help?',
        '      style: [professional, caring]',
        'persona:',
        '  name: Duet',
        '  style: witty',
        '  facts:',
        '    - I live on your computer.',
        '    - "{persona.name} is a name that means two voices."',
      ),
    });
    expect(definition.persona).toEqual({
      name: 'Duet',
      style: 'witty',
      facts: ['I live on your computer.', 'Duet is a name that means two voices.'],
    });
    // Texts stay texts (placeholders are filled at reply time); styles are a parallel list.
    expect(definition.responses.utter_greet).toEqual(['Hello, I am {persona.name}!', 'Yo! {persona.name} in the house.', 'Good day. How may I help?']);
    expect(definition.responseStyles).toEqual({ utter_greet: [[], ['witty'], ['professional', 'caring']] });
  });

  it('defaults the style to friendly and the facts to none', () => {
    const definition = parseDefinition({ file: 'a.yml', text: yaml(...GREET, 'responses: { utter_greet: Hi }', 'persona: { name: Duet }') });
    expect(definition.persona).toEqual({ name: 'Duet', facts: [], style: 'friendly' });
  });

  it('leaves a definition without persona or styles exactly as before', () => {
    const definition = parseDefinition({ file: 'a.yml', text: yaml(...GREET, 'responses:', '  utter_greet: [Hi, Hello]') });
    expect(definition).not.toHaveProperty('persona');
    expect(definition).not.toHaveProperty('responseStyles');
    expect(Object.keys(definition)).toEqual(['name', 'language', 'intents', 'slots', 'responses', 'warnings']);
  });

  it('takes the persona from one file and the placeholders from another', () => {
    const definition = parseDefinition([
      { file: 'a.yml', text: yaml('persona:', '  name: Duet') },
      { file: 'b.yml', text: yaml(...GREET, 'responses:', '  utter_greet: "I am {persona.name}."') },
    ]);
    expect(definition.persona?.name).toBe('Duet');
  });

  it('reads any persona fast-check makes up, facts and style intact', () => {
    const fact = fc.string({ minLength: 1, maxLength: 80 }).filter((s) => s.trim() === s && s.length > 0 && !s.includes('{'));
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() === s && s.length > 0), fc.array(fact, { maxLength: 20 }), fc.constantFrom(...PERSONA_STYLES), (name, facts, style) => {
        // JSON is YAML: every string arrives as written, whatever its characters.
        const text = yaml(...GREET, 'responses: { utter_greet: Hi }', `persona: ${JSON.stringify({ name, facts, style })}`);
        expect(parseDefinition({ file: 'a.yml', text }).persona).toEqual({ name, facts, style });
      }),
      { numRuns: 200 },
    );
  });

  it.each([
    ['a persona without a name', yaml(...GREET, 'responses: { utter_greet: Hi }', 'persona:', '  facts: [I am here.]'), "a.yml:7:1: 'persona' is missing 'name'"],
    ['a persona that is not a mapping', yaml(...GREET, 'responses: { utter_greet: Hi }', 'persona: Duet'), "a.yml:7:10: 'persona' must be a mapping, not a string"],
    [
      'a misspelt persona key',
      yaml(...GREET, 'responses: { utter_greet: Hi }', 'persona:', '  name: Duet', '  fact: [I am here.]'),
      "a.yml:9:3: unknown key 'fact' in 'persona' (did you mean 'facts'?) (allowed: name, facts, style)",
    ],
    [
      'an unknown persona style',
      yaml(...GREET, 'responses: { utter_greet: Hi }', 'persona:', '  name: Duet', '  style: wity'),
      "a.yml:9:10: unknown style 'wity' (did you mean 'witty'?) (allowed: friendly, caring, enthusiastic, professional, witty)",
    ],
    [
      'more than 20 facts',
      yaml(...GREET, 'responses: { utter_greet: Hi }', 'persona:', '  name: Duet', '  facts:', ...Array.from({ length: 21 }, (_, i) => `    - Fact ${i + 1}.`)),
      "a.yml:10:5: 'facts' of the persona has 21 items, at most 20 are allowed",
    ],
    [
      'a fact that is too long',
      yaml(...GREET, 'responses: { utter_greet: Hi }', 'persona:', '  name: Duet', '  facts:', '    - I am short.', `    - ${'very '.repeat(41)}long`),
      "a.yml:11:7: fact 2 of the persona is longer than 200 characters",
    ],
    ['an empty fact', yaml(...GREET, 'responses: { utter_greet: Hi }', 'persona:', '  name: Duet', '  facts: [ok, ""]'), "a.yml:9:15: fact 2 of the persona must not be empty"],
    ['a fact YAML reads as a number', yaml(...GREET, 'responses: { utter_greet: Hi }', 'persona:', '  name: Duet', '  facts:', '    - 42'), "a.yml:10:7: fact 1 of the persona must be a string, not a number (quote it)"],
    [
      'an unknown placeholder in a fact',
      yaml(...GREET, 'responses: { utter_greet: Hi }', 'persona:', '  name: Duet', '  facts:', '    - I am {persona.age} years old.'),
      "a.yml:10:12: unknown placeholder '{persona.age}' (allowed: {persona.name})",
    ],
    [
      'a misspelt placeholder in a response',
      yaml(...GREET, 'responses:', '  utter_greet: Hello, I am {persona.nmae}!', 'persona: { name: Duet }'),
      "a.yml:7:28: unknown placeholder '{persona.nmae}' (did you mean '{persona.name}'?) (allowed: {persona.name})",
    ],
    [
      'an unknown placeholder on the second line of a block text',
      yaml(...GREET, 'responses:', '  utter_greet:', '    - |-', '      Hello.', '      I am {persona.age}.', 'persona: { name: Duet }'),
      "a.yml:10:12: unknown placeholder '{persona.age}' (allowed: {persona.name})",
    ],
    [
      '{persona.name} without a persona',
      yaml(...GREET, 'responses:', '  utter_greet: [ "Hi, {persona.name} here" ]'),
      "a.yml:7:23: '{persona.name}' needs a 'persona' with a name, and no file defines one",
    ],
    [
      'an unknown style on a response text',
      yaml(...GREET, 'responses:', '  utter_greet:', '    - text: Yo', '      style: playfull'),
      "a.yml:9:14: unknown style 'playfull' (allowed: friendly, caring, enthusiastic, professional, witty)",
    ],
    [
      'an unknown style in a list',
      yaml(...GREET, 'responses:', '  utter_greet:', '    - text: Yo', '      style: [witty, chill]'),
      "a.yml:9:22: unknown style 'chill' (allowed: friendly, caring, enthusiastic, professional, witty)",
    ],
    [
      'a misspelt key in a tagged text',
      yaml(...GREET, 'responses:', '  utter_greet:', '    - txt: Yo', '      style: witty'),
      "a.yml:8:7: unknown key 'txt' in text 1 of response 'utter_greet' (did you mean 'text'?) (allowed: text, style)",
    ],
    ['a tagged text without text', yaml(...GREET, 'responses:', '  utter_greet:', '    - style: witty'), "a.yml:8:7: text 1 of response 'utter_greet' is missing 'text'"],
    ['a response text YAML reads as a number', yaml(...GREET, 'responses:', '  utter_greet:', '    - 42'), "a.yml:8:7: text 1 of response 'utter_greet' must be a string, not a number (quote it)"],
    [
      'a response text that is a list',
      yaml(...GREET, 'responses:', '  utter_greet:', '    - [a, b]'),
      "a.yml:8:7: text 1 of response 'utter_greet' must be a string or a mapping with 'text' and 'style', not a list",
    ],
  ])('rejects %s', (_name, text, message) => {
    expect(errorOf(text)).toBe(message);
  });

  it('rejects a persona defined in two files, at the second', () => {
    expect(
      errorOf([
        { file: 'a.yml', text: yaml('persona: { name: One }') },
        { file: 'b.yml', text: yaml(...GREET, 'responses: { utter_greet: Hi }', 'persona:', '  name: Two') },
      ]),
    ).toBe('b.yml:7:1: persona is already defined at a.yml:1:1');
  });
});
