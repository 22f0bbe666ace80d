import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  SGD_KIND_TRANSFERS,
  SGD_SELECT_EXCLUSIONS,
  SGD_SLOT_TRANSFERS,
  emptyTrackerMemory,
  goldTrackerInput,
  learnKindTransfers,
  learnSelectExclusions,
  learnSlotTransfers,
  observeSystemTurn,
  observeUserTurn,
  trackDialogue,
  trackSplit,
  slotKind,
  trackerCeiling,
  type TrackerTurnInput,
} from './dst.js';
import { sgdTurnExamples, turnKey } from './examples.js';
import { indexSchema, loadSgd, type SgdSystemTurn } from './load-sgd.js';

const data = loadSgd('dev', { dataDir: join(import.meta.dirname, '__fixtures__', 'data') });
const schema = indexSchema(data.schema);
const examples = sgdTurnExamples(data.dialogues);
const R = 'Restaurants_1';
const C = 'RideSharing_1';

const say = (intent: string, spans: [string, string][] = [], values: [string, string][] = [], service = R): TrackerTurnInput => ({
  services: [service],
  activeIntents: { [service]: intent },
  spans: spans.map(([slot, value]) => ({ service, slot, value })),
  values: values.map(([slot, value]) => ({ service, slot, value })),
});
const system = (actions: [string, string, string[]][], service = R): SgdSystemTurn => ({
  speaker: 'SYSTEM',
  utterance: '',
  frames: [{ service, spans: [], actions: actions.map(([act, slot, values]) => ({ act, slot, values, canonicalValues: values })) }],
});

describe('the tracker rule', () => {
  it('carries slots over turns and overwrites a slot the user gives again', () => {
    let m = observeUserTurn(emptyTrackerMemory(), say('FindRestaurants', [['city', 'San Jose']]), schema);
    m = observeUserTurn(m, say('FindRestaurants', [], [['party_size', '2']]), schema);
    expect(m.state[R]).toEqual({ city: 'San Jose', party_size: '2' });
    m = observeUserTurn(m, say('FindRestaurants', [['city', 'Oakland']]), schema);
    expect(m.state[R]).toEqual({ city: 'Oakland', party_size: '2' });
  });

  it('keeps a service state while the user talks about another service', () => {
    let m = observeUserTurn(emptyTrackerMemory(), say('FindRestaurants', [['time', '7 pm']]), schema);
    m = observeUserTurn(m, say('GetRide', [], [['number_of_riders', '1']], C), schema);
    m = observeUserTurn(m, say('FindRestaurants'), schema);
    expect(m.state).toEqual({ [R]: { time: '7 pm' }, [C]: { number_of_riders: '1' } });
  });

  it('takes values the system confirmed, unless the user corrects them in the same turn', () => {
    let m = observeUserTurn(emptyTrackerMemory(), say('ReserveRestaurant', [['time', '7 pm']]), schema);
    m = observeSystemTurn(m, system([['CONFIRM', 'time', ['7 pm']], ['CONFIRM', 'date', ['today']]]), schema);
    m = observeUserTurn(m, say('ReserveRestaurant', [['time', '8 pm']]), schema);
    expect(m.state[R]).toEqual({ time: '8 pm', date: 'today' });
  });

  it('takes offered values when the intent changes, not before', () => {
    let m = observeUserTurn(emptyTrackerMemory(), say('FindRestaurants', [['city', 'Oakland']]), schema);
    m = observeSystemTurn(m, system([['OFFER', 'restaurant_name', ['Sino']], ['OFFER', 'phone_number', ['555']]]), schema);
    m = observeUserTurn(m, say('FindRestaurants'), schema);
    expect(m.state[R]).toEqual({ city: 'Oakland' });
    m = observeSystemTurn(m, system([['INFORM', 'phone_number', ['555']]]), schema);
    m = observeUserTurn(m, say('ReserveRestaurant', [['time', '6 pm']]), schema);
    // phone_number is no intent's argument, so its offer never enters the state.
    expect(m.state[R]).toEqual({ city: 'Oakland', restaurant_name: 'Sino', time: '6 pm' });
    expect(m.offers[R]).toBeUndefined();
  });

  it('takes an offer the user selects without a new intent, leaving out the slots SGD leaves out', () => {
    let m = observeUserTurn(emptyTrackerMemory(), say('FindRestaurants', [['city', 'Oakland']]), schema);
    m = observeSystemTurn(m, system([['OFFER', 'restaurant_name', ['Sino']], ['OFFER', 'city', ['Oakland']]]), schema);
    const taken = observeUserTurn(m, { ...say('FindRestaurants'), selected: [R] }, schema);
    expect(taken.state[R]).toEqual({ city: 'Oakland', restaurant_name: 'Sino' });
    expect(taken.offers[R]).toBeUndefined();
    const excluded = observeUserTurn(m, { ...say('FindRestaurants'), selected: [R] }, schema, { selectExclusions: ['restaurant_name'] });
    expect(excluded.state[R]).toEqual({ city: 'Oakland' });
    // Not selected (another service's offer, or none): the offer waits.
    const waiting = observeUserTurn(m, { ...say('FindRestaurants'), selected: [C] }, schema);
    expect(waiting.state[R]).toEqual({ city: 'Oakland' });
    expect(waiting.offers[R]).toEqual({ restaurant_name: 'Sino', city: 'Oakland' });
  });

  it('takes a counter-proposal for a slot already in the state', () => {
    let m = observeUserTurn(emptyTrackerMemory(), say('ReserveRestaurant', [['time', '6:45 pm']]), schema);
    m = observeSystemTurn(m, system([['OFFER', 'time', ['6:30 pm']], ['OFFER', 'restaurant_name', ['Sino']]]), schema);
    m = observeUserTurn(m, say('ReserveRestaurant'), schema);
    expect(m.state[R]).toEqual({ time: '6:30 pm' });
  });

  it("seeds a new service's first frame through the slot-name transfers, and only then", () => {
    let m = observeUserTurn(emptyTrackerMemory(), say('FindRestaurants', [['city', 'Oakland']]), schema);
    m = observeUserTurn(m, say('GetRide', [], [], C), schema);
    expect(m.state[C]).toEqual({ destination: 'Oakland' });
    m = observeUserTurn(m, say('FindRestaurants', [['city', 'Berkeley']]), schema);
    m = observeUserTurn(m, say('GetRide', [], [], C), schema);
    expect(m.state[C]).toEqual({ destination: 'Oakland' });
    const none = observeUserTurn(observeUserTurn(emptyTrackerMemory(), say('FindRestaurants', [['city', 'Oakland']]), schema), say('GetRide', [], [], C), schema, { transfers: [], kindTransfers: [] });
    expect(none.state[C]).toEqual({});
  });
});

describe('slot kinds', () => {
  it('reads what a slot holds from its name and description, and its role in the service', () => {
    const cases: [name: string, description: string, kind: string | undefined][] = [
      ['location', 'City or town where the accommodation is located', 'city'],
      ['area', 'City where the apartment is located', 'city'],
      ['destination_city', 'City in which the journey ends', 'city:to'],
      ['to_location', 'City where bus is going to', 'city:to'],
      ['from_location', 'City where bus is leaving from', 'city:from'],
      ['origin_city', 'City in which the journey originates', 'city:from'],
      ['pickup_city', 'City to pick up the rental car', 'city:pickup'],
      ['number_of_riders', 'Number of riders to call taxi for', 'people'],
      ['travelers', 'Number of travelers for journey', 'people'],
      ['return_date', 'Date of return flight', 'date:end'],
      ['check_in_date', 'Start date for the reservation', 'date:start'],
      ['date', 'Tentative date of restaurant reservation', 'date'],
      ['street_address', 'Address of the hotel', 'address'],
      ['cuisine', 'Cuisine of food served in the restaurant', undefined],
      ['number_of_beds', 'Number of bed rooms', undefined],
    ];
    expect(cases.map(([name, description]) => slotKind({ name, description }))).toEqual(cases.map((c) => c[2]));
  });

  it("seed a new service's first frame where no name transfer reaches, and are learned from gold states", () => {
    const start = observeUserTurn(emptyTrackerMemory(), say('FindRestaurants', [['city', 'Oakland']]), schema);
    const byKind = observeUserTurn(start, say('GetRide', [], [], C), schema, { transfers: [], kindTransfers: [{ from: 'city', to: 'city:to', candidates: 1, taken: 1 }] });
    expect(byKind.state[C]).toEqual({ destination: 'Oakland' });
    expect(observeUserTurn(start, say('GetRide', [], [], C), schema, { transfers: [], kindTransfers: [] }).state[C]).toEqual({});
    // A pair taken in none of its candidates is not learned; the fixture's one first ride frame takes the restaurant's city.
    expect(learnKindTransfers(data, 1, 0)).toEqual([{ from: 'city', to: 'city:to', candidates: 1, taken: 1 }]);
    expect(learnKindTransfers(data, 2, 0)).toEqual([]);
    for (const t of SGD_KIND_TRANSFERS) expect(t.taken / t.candidates).toBeGreaterThanOrEqual(0.4);
  });
});

describe('tracking the fixture dialogues on gold turn outputs', () => {
  const inputs = new Map(examples.map((e) => [turnKey(e.dialogueId, e.turnIndex), goldTrackerInput(e)]));

  it('follows the first dialogue turn by turn, the offer the user selects included', () => {
    const states = trackDialogue(data.dialogues[0], (t) => inputs.get(turnKey('1_00000', t)), schema);
    expect([...states.keys()]).toEqual([0, 2, 4, 6, 8]);
    expect(states.get(0)).toEqual({ [R]: { city: 'San Jose' } });
    expect(states.get(2)).toEqual({ [R]: { city: 'San Jose', restaurant_name: 'Sino' } });
    const unselected = trackDialogue(data.dialogues[0], (t) => ({ ...inputs.get(turnKey('1_00000', t))!, selected: [] }), schema);
    expect(unselected.get(2)).toEqual({ [R]: { city: 'San Jose' } });
    expect(states.get(4)).toEqual({ [R]: { city: 'San Jose', restaurant_name: 'Sino', time: '7 pm', party_size: '2' } });
    expect(states.get(6)).toEqual({ [R]: { city: 'San Jose', restaurant_name: 'Sino', time: '7:30 pm', party_size: '2', date: 'today' } });
    expect(states.get(8)).toEqual(states.get(6));
  });

  it('reports the state of the services of each turn only', () => {
    const states = trackSplit(data, inputs);
    expect(states.get('2_00000/2')).toEqual({ [R]: { city: 'Oakland', restaurant_name: 'Sino' }, [C]: { destination: 'Oakland', number_of_riders: '2' } });
    expect(states.get('2_00000/4')).toEqual({ [C]: { destination: 'Oakland', number_of_riders: '2', shared_ride: 'dontcare' } });
  });

  it('gives the hand-computed ceiling: 8 of 8 turns; 5 of 8 without spanless values; 6 of 8 without the selected offers', () => {
    const ceiling = trackerCeiling(data);
    expect(ceiling.withValues).toMatchObject({ partial: true, turns: 8, frames: 9, jointGoalAccuracy: 1, jointGoalAccuracyPerFrame: 1, averageGoalAccuracy: 1 });
    expect(ceiling.spansOnly.jointGoalAccuracy).toBe(5 / 8);
    expect(ceiling.withValues.activeIntentAccuracy).toBeNull();
    expect(trackerCeiling(data, { transfers: [], kindTransfers: [] }).withValues.jointGoalAccuracy).toBe(6 / 8);
    const unselected = sgdTurnExamples(data.dialogues).map((e) => ({ ...e, selected: [] }));
    expect(trackerCeiling(data, {}, unselected).withValues.jointGoalAccuracy).toBe(6 / 8);
  });
});

describe('learnSlotTransfers', () => {
  it('counts values a first frame takes from another service, not ones the user gave', () => {
    expect(learnSlotTransfers(data.dialogues, 1)).toEqual([{ from: 'city', to: 'destination', count: 1 }]);
    expect(learnSlotTransfers(data.dialogues, 2)).toEqual([]);
  });

  it('SGD_SLOT_TRANSFERS are ordered by count', () => {
    const counts = SGD_SLOT_TRANSFERS.map((t) => t.count);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
  });
});

describe('learnSelectExclusions', () => {
  it('lists offered slots a selection leaves out of the state, by rate', () => {
    // In the fixture every selected offer enters the state.
    expect(learnSelectExclusions(data, 1)).toEqual([]);
    expect(learnSelectExclusions(data, 1, 1.01)).not.toEqual([]);
  });

  it('SGD_SELECT_EXCLUSIONS is sorted', () => {
    expect([...SGD_SELECT_EXCLUSIONS]).toEqual([...SGD_SELECT_EXCLUSIONS].sort());
  });
});
