import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetError } from '../../errors.js';
import { DATA_DIR_ENV } from '../datasets/files.js';
import { indexSchema, loadSgd, parseSgdDialogueFile, parseSgdSchema, type SgdUserTurn } from './load-sgd.js';

const fixtures = join(import.meta.dirname, '__fixtures__', 'data');
const fixtureDev = join(fixtures, 'sgd', 'dev');

describe('loadSgd on the fixtures', () => {
  const data = loadSgd('dev', { dataDir: fixtures });

  it('reads the dialogues of every file in file order, with the split schema', () => {
    expect(data.split).toBe('dev');
    expect(data.dialogues.map((d) => d.id)).toEqual(['1_00000', '2_00000']);
    expect(data.dialogues[1].services).toEqual(['Restaurants_1', 'RideSharing_1']);
    expect(data.schema.map((s) => s.name)).toEqual(['Restaurants_1', 'RideSharing_1']);
    expect(data.dialogues[0].file).toBe(join(fixtureDev, 'dialogues_001.json'));
  });

  it('keeps every turn in order with its speaker and raw utterance', () => {
    const turns = data.dialogues[0].turns;
    expect(turns.map((t) => t.speaker)).toEqual(['USER', 'SYSTEM', 'USER', 'SYSTEM', 'USER', 'SYSTEM', 'USER', 'SYSTEM', 'USER', 'SYSTEM']);
    expect(turns[4].utterance).toBe('Book a table for two at 7 pm.');
  });

  it('gives a user turn its gold frames: intent, requested slots, spans, state', () => {
    const turn = data.dialogues[0].turns[4] as SgdUserTurn;
    expect(turn.frames).toHaveLength(1);
    const [frame] = turn.frames;
    expect(frame.service).toBe('Restaurants_1');
    expect(frame.activeIntent).toBe('ReserveRestaurant');
    expect(frame.requestedSlots).toEqual([]);
    expect(frame.spans).toEqual([{ slot: 'time', start: 24, end: 28, value: '7 pm' }]);
    expect(frame.slotValues).toEqual({ city: ['San Jose'], party_size: ['2'], restaurant_name: ['Sino'], time: ['7 pm'] });
    expect(frame.actions).toContainEqual({ act: 'INFORM', slot: 'time', values: ['7 pm'], canonicalValues: ['19:00'] });
    expect((data.dialogues[0].turns[2] as SgdUserTurn).frames[0].requestedSlots).toEqual(['phone_number']);
  });

  it('keeps a two-service user turn as two frames', () => {
    const turn = data.dialogues[1].turns[2] as SgdUserTurn;
    expect(turn.frames.map((f) => [f.service, f.activeIntent])).toEqual([
      ['Restaurants_1', 'FindRestaurants'],
      ['RideSharing_1', 'GetRide'],
    ]);
  });

  it('gives system frames their acts, spans and service call', () => {
    const turn = data.dialogues[0].turns[1];
    expect(turn.speaker).toBe('SYSTEM');
    if (turn.speaker !== 'SYSTEM') return;
    expect(turn.frames[0].actions.map((a) => [a.act, a.slot, a.values])).toEqual([
      ['OFFER', 'restaurant_name', ['Sino']],
      ['OFFER', 'city', ['San Jose']],
    ]);
    expect(turn.frames[0].spans.map((s) => s.value)).toEqual(['Sino', 'San Jose']);
    expect(turn.frames[0].serviceCall).toEqual({ method: 'FindRestaurants', parameters: { city: 'San Jose' } });
  });

  it('every span value is the text its offsets cover', () => {
    let spans = 0;
    for (const d of data.dialogues) {
      for (const turn of d.turns) {
        for (const frame of turn.frames) {
          for (const s of frame.spans) {
            spans += 1;
            expect(turn.utterance.slice(s.start, s.end)).toBe(s.value);
          }
        }
      }
    }
    expect(spans).toBe(13);
  });

  it('reads the schema: categorical slots, intents with required and optional slots', () => {
    const restaurants = data.schema[0];
    expect(restaurants.slots.find((s) => s.name === 'party_size')).toMatchObject({ isCategorical: true, possibleValues: ['1', '2', '3', '4'] });
    expect(restaurants.intents[1]).toMatchObject({ name: 'ReserveRestaurant', isTransactional: true, requiredSlots: ['restaurant_name', 'city', 'time'], optionalSlots: { date: 'today', party_size: '2' } });
    const index = indexSchema(data.schema);
    expect(index.isCategorical('Restaurants_1', 'party_size')).toBe(true);
    expect(index.isCategorical('Restaurants_1', 'city')).toBe(false);
    expect([...index.informableSlots('Restaurants_1')].sort()).toEqual(['city', 'date', 'party_size', 'restaurant_name', 'time']);
    expect(index.informableSlots('Nope_1').size).toBe(0);
  });
});

describe('loadSgd errors', () => {
  const root = mkdtempSync(join(tmpdir(), 'duet-sgd-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const dialogues = readFileSync(join(fixtureDev, 'dialogues_001.json'), 'utf8');
  const schema = readFileSync(join(fixtureDev, 'schema.json'), 'utf8');
  /** A data dir whose sgd/dev holds the given files. */
  function dataDir(name: string, files: Record<string, string>): string {
    const dir = join(root, name);
    mkdirSync(join(dir, 'sgd', 'dev'), { recursive: true });
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, 'sgd', 'dev', file), text);
    return dir;
  }

  it('names the folder it looked in and DUET_DATA_DIR when the split is missing', () => {
    const empty = join(root, 'empty');
    expect(() => loadSgd('test', { dataDir: empty })).toThrow(DatasetError);
    expect(() => loadSgd('test', { dataDir: empty })).toThrow(new RegExp(`'test' not found at ${join(empty, 'sgd', 'test')}.*${DATA_DIR_ENV}`));
  });

  it('names the folder when it has no dialogue files, and the schema file when that is missing', () => {
    const noDialogues = dataDir('no-dialogues', { 'schema.json': schema });
    expect(() => loadSgd('dev', { dataDir: noDialogues })).toThrow(new RegExp(`${join(noDialogues, 'sgd', 'dev')} has no dialogues_NNN.json`));
    const noSchema = dataDir('no-schema', { 'dialogues_001.json': dialogues });
    expect(() => loadSgd('dev', { dataDir: noSchema })).toThrow(/cannot read .*sgd\/dev\/schema\.json/);
  });

  it('names the file with malformed JSON', () => {
    const dir = dataDir('bad-json', { 'schema.json': schema, 'dialogues_001.json': dialogues, 'dialogues_002.json': '[{"dialogue_id": "x",' });
    expect(() => loadSgd('dev', { dataDir: dir })).toThrow(/sgd\/dev\/dialogues_002\.json is not valid JSON/);
    expect(() => parseSgdSchema('{nope', 'my/schema.json')).toThrow(/my\/schema\.json is not valid JSON/);
  });

  it('rejects a span whose offsets do not cover its value, naming file, dialogue and turn', () => {
    const shifted = dialogues.replace('"exclusive_end": 41,\n                "slot": "city",\n                "start": 33', '"exclusive_end": 40,\n                "slot": "city",\n                "start": 32');
    expect(shifted).not.toBe(dialogues);
    expect(() => parseSgdDialogueFile(shifted, 'd.json')).toThrow(/d\.json: dialogue 1_00000 turn 0 frame 0 \(Restaurants_1\) span of 'city' \[32, 40\) covers " San Jos"/);
  });

  it('rejects a span outside the utterance', () => {
    const json = JSON.stringify([
      { dialogue_id: 'd', services: ['S_1'], turns: [{ speaker: 'USER', utterance: 'hi', frames: [{ service: 'S_1', slots: [{ slot: 'x', start: 1, exclusive_end: 9 }], actions: [], state: { active_intent: 'NONE', requested_slots: [], slot_values: {} } }] }] },
    ]);
    expect(() => parseSgdDialogueFile(json, 'e.json')).toThrow(/e\.json: dialogue d turn 0 frame 0 \(S_1\) span of 'x' \[1, 9\) is outside the utterance \(2 characters\)/);
  });

  it('says which field is malformed', () => {
    expect(() => parseSgdDialogueFile('[{"dialogue_id": "d", "turns": [{"speaker": "BOT", "utterance": "hi", "frames": []}]}]', 'f.json')).toThrow(/f\.json: dialogue d turn 0 speaker should be USER or SYSTEM/);
    expect(() => parseSgdDialogueFile('[{"dialogue_id": "d", "turns": [{"speaker": "USER", "utterance": "hi", "frames": [{"service": "S_1", "actions": []}]}]}]', 'g.json')).toThrow(/g\.json: dialogue d turn 0 frame 0 \(S_1\) state should be an object/);
  });

  it('rejects a user frame that names a slot the schema does not have', () => {
    const renamed = dialogues.replace('"requested_slots": [\n                "phone_number"', '"requested_slots": [\n                "phone"');
    expect(renamed).not.toBe(dialogues);
    const dir = dataDir('unknown-slot', { 'schema.json': schema, 'dialogues_001.json': renamed });
    expect(() => loadSgd('dev', { dataDir: dir })).toThrow(/dialogue 1_00000 turn 2: slot 'phone' is not a slot of Restaurants_1/);
  });
});
