import { describe, expect, it } from 'vitest';
import { wordFeatures } from '../model/sparse-features.js';
import type { TokenizedText } from '../tokenizer/wordpiece.js';
import { buildContextTokens } from './context-input.js';
import { distinctiveSlots, distinctiveWords, intentWordMatch, mentionsValue, messageStems, servedIntents, splitName, utteranceTokenFeatures, type ServiceElements } from './sgd-task.js';

describe('mentionsValue', () => {
  it('finds a categorical value written as whole words, in any case', () => {
    expect(mentionsValue('Transfer it to my savings account', 'savings')).toBe(true);
    expect(mentionsValue('I want to fly Premium Economy please', 'Premium Economy')).toBe(true);
    expect(mentionsValue('play it on the kitchen speaker.', 'Kitchen speaker')).toBe(true);
  });

  it('does not match inside a longer word or across a missing word', () => {
    expect(mentionsValue('show me savingsplans', 'savings')).toBe(false);
    expect(mentionsValue('I want to fly Premium please', 'Premium Economy')).toBe(false);
  });

  it('reads small numbers as digits or words', () => {
    expect(mentionsValue('a table for 3 please', '3')).toBe(true);
    expect(mentionsValue('a table for three please', '3')).toBe(true);
    expect(mentionsValue('a table for 13 please', '3')).toBe(false);
    expect(mentionsValue('a table for three please', '4')).toBe(false);
    expect(mentionsValue('2 adults, please', '2')).toBe(true);
    expect(mentionsValue('for 2, please', '2')).toBe(true);
    expect(mentionsValue('a 3-star hotel', '3')).toBe(true);
  });

  it('does not take a time, date, price or ordinal for a count', () => {
    expect(mentionsValue('a table at 2 pm', '2')).toBe(false);
    expect(mentionsValue('a table at two in the afternoon', '2')).toBe(false);
    expect(mentionsValue('at 7:30 please', '7')).toBe(false);
    expect(mentionsValue('on march 2 please', '2')).toBe(false);
    expect(mentionsValue('on the 2nd please', '2')).toBe(false);
    expect(mentionsValue('under $3 please', '3')).toBe(false);
    expect(mentionsValue('it costs 3 dollars', '3')).toBe(false);
    expect(mentionsValue('on 3/4 please', '3')).toBe(false);
  });

  it('never matches yes/no values: they are read from the message, not found in it', () => {
    expect(mentionsValue('that is true', 'True')).toBe(false);
    expect(mentionsValue('false alarm', 'False')).toBe(false);
  });
});

describe('splitName', () => {
  it('splits camel case and snake case into lower-case words', () => {
    expect(splitName('FindRestaurants')).toBe('find restaurants');
    expect(splitName('number_of_seats')).toBe('number of seats');
  });
});

describe('utteranceTokenFeatures', () => {
  // "book sushi ya" as four pieces: book / su / ##shi / ya.
  const text = 'book sushi ya';
  const current: TokenizedText = {
    ids: [5, 6, 7, 8],
    tokens: ['book', 'su', '##shi', 'ya'],
    offsets: [
      [0, 4],
      [5, 7],
      [7, 10],
      [11, 13],
    ],
    wordIds: [0, 1, 1, 2],
    words: [
      [0, 4],
      [5, 10],
      [11, 13],
    ],
  };
  const previous: TokenizedText = { ids: [9], tokens: ['hi'], offsets: [[0, 2]], wordIds: [0], words: [[0, 2]] };
  const tokens = buildContextTokens(current, [{ speaker: 'assistant', tokens: previous }], { mode: 'concat', maxTokens: 16, maxUtteranceTokens: 8, maxTurnDistance: 4 });

  it("gives each current-turn token its word's features with the words around it, and nothing to [CLS] or the history", () => {
    const features = utteranceTokenFeatures(text, current, tokens, 1024);
    expect(features).toHaveLength(tokens.ids.length);
    expect(features[0]).toBeUndefined();
    expect(features.slice(5).every((f) => f === undefined)).toBe(true);
    const sushi = wordFeatures('sushi', 1024, { previous: 'book', next: 'ya', beforePrevious: undefined, afterNext: undefined });
    expect([...features[2]!.ids]).toEqual([...sushi.ids]);
    // The two pieces of one word share one vector.
    expect(features[3]).toBe(features[2]);
    expect([...features[1]!.ids]).not.toEqual([...features[4]!.ids]);
  });
});

describe('intent words', () => {
  const flights = [
    { name: 'SearchOnewayFlight', description: 'Search for one-way flights to the destination of choice' },
    { name: 'SearchRoundtripFlights', description: 'Search for round-trip flights to the destination of choice' },
  ];
  const buses = [
    { name: 'FindBus', description: 'Find a bus journey for a given pair of cities' },
    { name: 'BuyBusTicket', description: 'Buy tickets for a bus journey' },
  ];

  it('keeps only the words that tell an intent from its siblings', () => {
    expect(distinctiveWords(flights, 0)).toEqual(['onewai']);
    expect(distinctiveWords(flights, 1)).toEqual(['roundtrip']);
    expect(distinctiveWords(buses, 1).sort()).toEqual(['bui', 'ticket']);
    expect(distinctiveWords(buses, 0)).not.toContain('bu');
  });

  it('matches a compound written as two words, and inflected forms', () => {
    const roundTrip = messageStems('I need a round trip to Boston');
    expect(intentWordMatch(roundTrip, distinctiveWords(flights, 1))).toBe(0.5);
    expect(intentWordMatch(roundTrip, distinctiveWords(flights, 0))).toBe(0);
    expect(intentWordMatch(messageStems('Buying two tickets please'), distinctiveWords(buses, 1))).toBe(1);
    expect(intentWordMatch(messageStems('leaving on the 3rd'), distinctiveWords(flights, 0))).toBe(0);
  });
});

describe('distinctiveSlots', () => {
  const intent = (name: string, requiredSlots: string[], resultSlots: string[] = []) => ({
    name,
    description: '',
    isTransactional: false,
    requiredSlots,
    optionalSlots: { airlines: 'dontcare' },
    resultSlots,
  });
  const flights = [
    intent('SearchOnewayFlight', ['origin', 'destination', 'departure_date'], ['outbound_time']),
    intent('SearchRoundtripFlights', ['origin', 'destination', 'departure_date', 'return_date'], ['outbound_time', 'inbound_time']),
  ];

  it("keeps the slots only one intent uses, result slots included", () => {
    expect(distinctiveSlots(flights, 0)).toEqual([]);
    expect(distinctiveSlots(flights, 1)).toEqual(['return_date', 'inbound_time']);
  });

  it('gives a lone intent all of its slots', () => {
    expect(distinctiveSlots([flights[0]], 0)).toEqual(['origin', 'destination', 'departure_date', 'airlines', 'outbound_time']);
  });
});

describe('servedIntents', () => {
  // Buses_1's two intents, as the catalog keeps them.
  const buses: ServiceElements = {
    intents: [
      { name: 'FindBus', element: 0, transactional: false, ownWords: ['find'], ownSlots: [], requiredSlots: ['from_location', 'to_location', 'leaving_date'] },
      { name: 'BuyBusTicket', element: 1, transactional: true, ownWords: ['buy'], ownSlots: [], requiredSlots: ['from_location', 'to_location', 'leaving_date', 'leaving_time', 'travelers'] },
    ],
    slots: [],
  };
  const asked = (slots: string[], acts: string[]) => ({ slots, intents: [], named: slots, acts });

  it('keeps the intents that require every slot the system asked for', () => {
    // "How many tickets?": only the purchase requires travelers (the search takes it as an option).
    expect(servedIntents(buses, asked(['travelers'], ['REQUEST']))).toEqual([1]);
    expect(servedIntents(buses, asked(['to_location'], ['REQUEST']))).toEqual([0, 1]);
  });

  it('keeps the transactional intents after a confirmation or an outcome', () => {
    expect(servedIntents(buses, asked([], ['CONFIRM']))).toEqual([1]);
    expect(servedIntents(buses, asked([], ['NOTIFY_FAILURE', 'OFFER']))).toEqual([1]);
    expect(servedIntents(buses, asked([], ['OFFER', 'INFORM_COUNT']))).toEqual([0, 1]);
  });

  it('rules nothing out when the system said nothing, or when its acts fit no intent', () => {
    expect(servedIntents(buses, undefined)).toEqual([0, 1]);
    expect(servedIntents(buses, asked(['seat_class'], ['REQUEST']))).toEqual([0, 1]);
  });
});
