import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labelOf, sgdLabels, sgdStats, sgdTurnExamples, turnKey } from './examples.js';
import { loadSgd } from './load-sgd.js';

const data = loadSgd('dev', { dataDir: join(import.meta.dirname, '__fixtures__', 'data') });
const examples = sgdTurnExamples(data.dialogues);

describe('sgdTurnExamples', () => {
  it('gives one example per user turn, keyed by SGD turn index', () => {
    expect(examples.map((e) => turnKey(e.dialogueId, e.turnIndex))).toEqual([
      '1_00000/0',
      '1_00000/2',
      '1_00000/4',
      '1_00000/6',
      '1_00000/8',
      '2_00000/0',
      '2_00000/2',
      '2_00000/4',
    ]);
  });

  it('gives every earlier turn as history, oldest first, and none to the first turn', () => {
    expect(examples[0].history).toEqual([]);
    expect(examples[2].history).toEqual([
      { speaker: 'USER', text: 'I want to find a place to eat in San Jose.' },
      { speaker: 'SYSTEM', text: 'How about Sino? It is a nice restaurant in San Jose.' },
      { speaker: 'USER', text: 'Sounds good. What is their phone number?' },
      { speaker: 'SYSTEM', text: 'Their number is 408-247-8880. Shall I book a table there?' },
    ]);
    expect(examples[5].history).toEqual([]);
  });

  it('flattens the frames: services, intents, requested slots, spans, spanless values, gold state', () => {
    expect(examples[2]).toMatchObject({
      utterance: 'Book a table for two at 7 pm.',
      services: ['Restaurants_1'],
      activeIntents: { Restaurants_1: 'ReserveRestaurant' },
      requestedSlots: { Restaurants_1: [] },
      spans: [{ service: 'Restaurants_1', slot: 'time', start: 24, end: 28, value: '7 pm' }],
      values: [{ service: 'Restaurants_1', slot: 'party_size', value: '2' }],
      state: { Restaurants_1: { city: ['San Jose'], party_size: ['2'], restaurant_name: ['Sino'], time: ['7 pm'] } },
    });
    expect(examples[1].requestedSlots).toEqual({ Restaurants_1: ['phone_number'] });
    expect(examples[1].spans).toEqual([]);
  });

  it('keeps both services of a two-frame turn, and dontcare as a spanless value', () => {
    const twoFrames = examples[6];
    expect(twoFrames.services).toEqual(['Restaurants_1', 'RideSharing_1']);
    expect(twoFrames.activeIntents).toEqual({ Restaurants_1: 'FindRestaurants', RideSharing_1: 'GetRide' });
    expect(twoFrames.values).toEqual([{ service: 'RideSharing_1', slot: 'number_of_riders', value: '2' }]);
    expect(Object.keys(twoFrames.state)).toEqual(['Restaurants_1', 'RideSharing_1']);
    expect(examples[7].values).toEqual([{ service: 'RideSharing_1', slot: 'shared_ride', value: 'dontcare' }]);
  });

  it("gives each turn what the system's previous turn asked: requested slots, offered intents, named slots, kinds of act", () => {
    expect(examples[0].asked).toEqual({});
    // "Their number is ... Shall I book a table there?" offers ReserveRestaurant.
    expect(examples[2].asked).toEqual({ Restaurants_1: { slots: [], intents: ['ReserveRestaurant'], named: ['phone_number'], acts: ['INFORM', 'OFFER_INTENT'] } });
    // "Do you want a shared ride?" requests shared_ride.
    expect(examples[7].asked).toEqual({ RideSharing_1: { slots: ['shared_ride'], intents: [], named: ['shared_ride'], acts: ['REQUEST'] } });
    // An offer ("How about Sino? ... in San Jose") names its slots without asking anything.
    expect(examples[1].asked).toEqual({ Restaurants_1: { slots: [], intents: [], named: ['restaurant_name', 'city'], acts: ['OFFER'] } });
    // "Please confirm: a table for 2 at Sino ..." names every slot it confirms.
    expect(examples[3].asked.Restaurants_1.named).toEqual(['party_size', 'restaurant_name', 'city', 'time', 'date']);
    expect(examples[3].asked.Restaurants_1.acts).toEqual(['CONFIRM']);
    // "Your table at Sino is booked." names nothing and asks nothing, but reports a transaction's outcome.
    expect(examples[4].asked).toEqual({ Restaurants_1: { slots: [], intents: [], named: [], acts: ['NOTIFY_SUCCESS'] } });
  });

  it('does not repeat a spanned INFORM as a spanless value', () => {
    expect(examples[0].spans.map((s) => s.slot)).toEqual(['city']);
    expect(examples[0].values).toEqual([]);
  });

  it('copies the state, so editing an example leaves the loaded dialogue alone', () => {
    const [first] = sgdTurnExamples(data.dialogues);
    first.state.Restaurants_1.city.push('X');
    expect(sgdTurnExamples(data.dialogues)[0].state.Restaurants_1.city).toEqual(['San Jose']);
  });
});

describe('sgdLabels', () => {
  const labels = sgdLabels(data.schema);

  it('labels intents service:intent with service:NONE first', () => {
    expect(labels.intents).toEqual(['Restaurants_1:NONE', 'Restaurants_1:FindRestaurants', 'Restaurants_1:ReserveRestaurant', 'RideSharing_1:NONE', 'RideSharing_1:GetRide']);
  });

  it('labels requested slots over all slots, span slots over non-categorical ones', () => {
    expect(labels.requestedSlots).toHaveLength(9);
    expect(labels.spanSlots).toEqual(['Restaurants_1:restaurant_name', 'Restaurants_1:city', 'Restaurants_1:time', 'Restaurants_1:date', 'Restaurants_1:phone_number', 'RideSharing_1:destination']);
    expect(labels.categoricalValues).toEqual({
      'Restaurants_1:party_size': ['1', '2', '3', '4', 'dontcare'],
      'RideSharing_1:number_of_riders': ['1', '2', '3', '4', 'dontcare'],
      'RideSharing_1:shared_ride': ['True', 'False', 'dontcare'],
    });
  });

  it('covers every label the examples use', () => {
    for (const e of examples) {
      for (const s of e.services) expect(labels.intents).toContain(labelOf(s, e.activeIntents[s]));
      for (const s of e.services) for (const slot of e.requestedSlots[s]) expect(labels.requestedSlots).toContain(labelOf(s, slot));
      for (const span of e.spans) expect(labels.spanSlots).toContain(labelOf(span.service, span.slot));
      for (const v of e.values) expect(labels.categoricalValues[labelOf(v.service, v.slot)] ?? ['dontcare']).toContain(v.value);
    }
  });
});

describe('sgdStats', () => {
  it('counts dialogues, turns, frames and what the user frames use', () => {
    expect(sgdStats(data)).toEqual({ dialogues: 2, turns: 16, userTurns: 8, frames: 9, services: 2, intents: 3, slots: 8, spans: 4, multiDomainDialogues: 1 });
  });
});
