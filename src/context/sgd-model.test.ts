import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sgdTurnExamples } from '../data/sgd/examples.js';
import { loadSgd } from '../data/sgd/load-sgd.js';
import { initTensorBackend } from '../model/backend.js';
import type { ContextMode } from '../model/config.js';
import { chooseIntentFilter, chooseWeights, DEFAULT_SGD_TRAIN, filterIntents, OwnAnswers, scoreSplit, stackMemory, trainSgdModel, type SgdModel, type SgdTurnOutput } from './sgd-model.js';
import { prepareTurn, type PreparedTurn } from './sgd-task.js';

const data = loadSgd('dev', { dataDir: join(import.meta.dirname, '..', 'data', 'sgd', '__fixtures__', 'data') });
const examples = sgdTurnExamples(data.dialogues);

/** A tiny model trained on the fixture dialogues until it fits them. */
async function tinyModel(mode: ContextMode, steps: number, losses: number[] = []): Promise<SgdModel> {
  return trainSgdModel(data, [], {
    ...DEFAULT_SGD_TRAIN,
    mode,
    backbone: { dModel: 32, nLayers: 1, nHeads: 2, dFF: 64, dropout: 0 },
    vocabSize: 400,
    batchSize: 8,
    learningRate: 5e-3,
    warmupSteps: 5,
    maxMinutes: 1e6, // the step count alone ends training: the learning rate then does not depend on the clock
    maxSteps: steps,
    unroll: 2,
    seed: 3,
    onProgress: (p) => losses.push(p.loss),
  });
}

/** Candidate indices (0 = NONE) of the fixture's two restaurant intents in a model's catalog. */
function restaurantCandidates(model: SgdModel): { find: number; reserve: number } {
  const intents = model.catalog.services.get('Restaurants_1')!.intents;
  return {
    find: 1 + intents.findIndex((i) => i.name === 'FindRestaurants'),
    reserve: 1 + intents.findIndex((i) => i.name === 'ReserveRestaurant'),
  };
}

beforeAll(async () => {
  await initTensorBackend();
});

describe.each<ContextMode>(['none', 'concat', 'memory'])('the SGD network in mode %s', (mode) => {
  it('learns the fixture dialogues and reads every user turn of them', async () => {
    const losses: number[] = [];
    const model = await tinyModel(mode, 250, losses);
    try {
      expect(model.mode).toBe(mode);
      expect(losses.at(-1)).toBeLessThan(losses[0]);
      const before = tf.memory().numTensors;
      const outputs = await model.predictSplit(data);
      expect(tf.memory().numTensors).toBe(before);
      expect(outputs.size).toBe(examples.length);
      for (const e of examples) {
        const o = outputs.get(`${e.dialogueId}/${e.turnIndex}`)!;
        expect(Object.keys(o.activeIntents).sort()).toEqual([...e.services].sort());
        for (const span of o.spans) expect(e.utterance.slice(span.start, span.end)).toBe(span.value);
      }
      const metrics = scoreSplit(data, outputs);
      // Trained on these very turns: a model that learns anything fits them.
      expect(metrics.activeIntentAccuracy).toBeGreaterThan(0.8);
      expect(metrics.requestedSlots!.f1).toBeGreaterThan(0.8);
    } finally {
      model.dispose();
    }
  });
});

describe('the weight average', () => {
  it('is kept over the end of training, read with on request, and chosen on dev', async () => {
    const model = await tinyModel('none', 40);
    try {
      // averageFrom 0.5 of 40 steps: started at step 20, updated at each step after it.
      expect(model.training.averagedSteps).toBe(19);
      expect(model.weights).toBe('last');
      const turn = await prepareTurn(examples[3], model.catalog, model.tokens, model.input, false);
      const scores = () => model.run([turn]).outputs[0].intentScores!;
      const last = JSON.stringify(scores());
      model.useWeights('averaged');
      const averaged = JSON.stringify(scores());
      expect(averaged).not.toBe(last);
      model.useWeights('last');
      expect(JSON.stringify(scores())).toBe(last);

      const choice = await chooseWeights(model, data);
      expect(choice.trials.map((t) => t.weights)).toEqual(['last', 'averaged']);
      const worth = (w: 'last' | 'averaged') => {
        const m = choice.trials.find((t) => t.weights === w)!.metrics;
        return m.activeIntentAccuracy! + m.jointGoalAccuracy!;
      };
      expect(choice.chosen).toBe(worth('averaged') > worth('last') ? 'averaged' : 'last');
      expect(model.weights).toBe(choice.chosen);
    } finally {
      model.dispose();
    }
  });

  it('is not kept when averageFrom is 1, and asking for it is an error', async () => {
    const model = await trainSgdModel(data, [], { ...DEFAULT_SGD_TRAIN, mode: 'none', backbone: { dModel: 16, nLayers: 1, nHeads: 2, dFF: 32 }, vocabSize: 300, batchSize: 8, maxMinutes: 1e6, maxSteps: 3, averageFrom: 1 });
    try {
      expect(model.hasAverage).toBe(false);
      expect(model.training.averagedSteps).toBe(0);
      expect(() => model.useWeights('averaged')).toThrow(/no weight average/);
      expect((await chooseWeights(model, data)).trials).toEqual([]);
    } finally {
      model.dispose();
    }
  });
});

describe('memory mode', () => {
  it('carries the memory: the same turn reads differently after another turn than from the start', async () => {
    const model = await tinyModel('memory', 20);
    try {
      // batchSize 8, unroll 2: four streams of dialogues, each step reads two turns of each.
      expect(model.training.turns).toBe(model.training.steps * 8);
      const [first, second] = examples;
      const turn1 = await prepareTurn(first, model.catalog, model.tokens, model.input, false);
      const turn2 = await prepareTurn(second, model.catalog, model.tokens, model.input, false);
      const { memory } = model.run([turn1]);
      expect(memory!.shape).toEqual([1, 4, 32]);
      const values = memory!.dataSync() as Float32Array;
      memory!.dispose();
      const logits = (m?: tf.Tensor3D) => {
        const batch = model.network.makeBatch([turn2]);
        const out = tf.tidy(() => model.network.forward(batch, { training: false, seed: () => 0 }, m).intentLogits.arraySync());
        model.network.disposeBatch(batch);
        return out;
      };
      const carried = stackMemory([values], 4, 32);
      expect(logits(carried)).not.toEqual(logits(undefined));
      carried.dispose();
    } finally {
      model.dispose();
    }
  });

  it('lets a training batch start some rows fresh: those read the initial memory, the others their own', async () => {
    const model = await tinyModel('memory', 5);
    try {
      const turn = await prepareTurn(examples[1], model.catalog, model.tokens, model.input, false);
      const batch = model.network.makeBatch([turn, turn]);
      const carried = stackMemory([new Float32Array(4 * 32).fill(0.5), new Float32Array(4 * 32).fill(0.5)], 4, 32);
      const logits = (memory?: tf.Tensor3D, fresh?: number[]) =>
        tf.tidy(() => model.network.forward(batch, { training: false, seed: () => 0 }, memory, fresh && tf.tensor3d(fresh, [2, 1, 1])).intentLogits.arraySync());
      const mixed = logits(carried, [1, 0]);
      // makeBatch lays out each turn's frames in order: the first turn's frames come first.
      const frames = turn.frames.length;
      expect(mixed.slice(0, frames)).toEqual(logits(undefined).slice(0, frames));
      expect(mixed.slice(frames)).toEqual(logits(carried).slice(frames));
      expect(mixed.slice(0, frames)).not.toEqual(mixed.slice(frames));
      carried.dispose();
      model.network.disposeBatch(batch);
    } finally {
      model.dispose();
    }
  });
});

describe("what the system's previous turn asked", () => {
  it('marks the offered intent, the requested slot and the intents the acts rule out, and the network reads them', async () => {
    const model = await tinyModel('none', 20);
    try {
      // examples[2] answers "... Shall I book a table there?" (OFFER_INTENT ReserveRestaurant).
      const offeredTurn = await prepareTurn(examples[2], model.catalog, model.tokens, model.input, false);
      const restaurants = model.catalog.services.get('Restaurants_1')!;
      const reserve = 1 + restaurants.intents.findIndex((i) => i.name === 'ReserveRestaurant');
      expect(offeredTurn.frames[0].offeredIntents).toEqual([0, ...restaurants.intents.map((i) => (i.name === 'ReserveRestaurant' ? 1 : 0))]);
      expect(offeredTurn.frames[0].askedSlots.every((x) => x === 0)).toBe(true);
      // examples[7] answers "Do you want a shared ride?" (REQUEST shared_ride).
      const askedTurn = await prepareTurn(examples[7], model.catalog, model.tokens, model.input, false);
      const rides = model.catalog.services.get('RideSharing_1')!;
      const shared = rides.slots.findIndex((s) => s.name === 'shared_ride');
      expect(askedTurn.frames[0].askedSlots).toEqual(rides.slots.map((_, i) => (i === shared ? 1 : 0)));

      const outputs = (turn: typeof offeredTurn) => {
        const batch = model.network.makeBatch([turn]);
        const out = tf.tidy(() => {
          const o = model.network.forward(batch, { training: false, seed: () => 0 });
          return { intents: o.intentLogits.arraySync(), values: o.valueLogits.arraySync() };
        });
        model.network.disposeBatch(batch);
        return out;
      };
      const unoffered = { ...offeredTurn, frames: offeredTurn.frames.map((f) => ({ ...f, offeredIntents: f.offeredIntents.map(() => 0) })) };
      expect(outputs(offeredTurn).intents[0][reserve]).not.toBeCloseTo(outputs(unoffered).intents[0][reserve], 6);
      const unasked = { ...askedTurn, frames: askedTurn.frames.map((f) => ({ ...f, askedSlots: f.askedSlots.map(() => 0) })) };
      expect(outputs(askedTurn).values[shared]).not.toEqual(outputs(unasked).values[shared]);
      // examples[4] answers "Your table at Sino is booked.": the acts rule the search out.
      const bookedTurn = await prepareTurn(examples[4], model.catalog, model.tokens, model.input, false);
      const find = 1 + restaurants.intents.findIndex((i) => i.name === 'FindRestaurants');
      expect(bookedTurn.frames[0].systemServes[find]).toBe(-1);
      const unserved = { ...bookedTurn, frames: bookedTurn.frames.map((f) => ({ ...f, systemServes: f.systemServes.map(() => 0) })) };
      expect(outputs(bookedTurn).intents[0][find]).toBeLessThan(outputs(unserved).intents[0][find]);
    } finally {
      model.dispose();
    }
  });

  it('takes the intent whose own slots the system named, or the only one its acts fit, as the state the turn starts from', async () => {
    const model = await tinyModel('none', 1);
    try {
      const { find, reserve } = restaurantCandidates(model);
      // examples[3] answers "Please confirm: a table for 2 at Sino in San Jose at 7 pm today.":
      // time, date and party size belong to ReserveRestaurant alone, so a wrongly tracked
      // FindRestaurants is replaced.
      const confirmed = await prepareTurn(examples[3], model.catalog, model.tokens, model.input, false, { Restaurants_1: 'FindRestaurants' });
      expect(confirmed.frames[0].systemNamed[reserve]).toBe(1);
      expect(confirmed.frames[0].systemNamed[find]).toBe(0);
      expect(confirmed.frames[0].previousIntent).toBe(reserve);
      // examples[1] answers "How about Sino? It is a nice restaurant in San Jose.": restaurant_name
      // and city are both intents' slots, so the tracked intent stands.
      const offered = await prepareTurn(examples[1], model.catalog, model.tokens, model.input, false, { Restaurants_1: 'FindRestaurants' });
      expect(offered.frames[0].systemNamed).toEqual([0, 0, 0]);
      expect(offered.frames[0].systemServes).toEqual([0, 0, 0]);
      expect(offered.frames[0].previousIntent).toBe(find);
      // examples[4] answers "Your table at Sino is booked.": an outcome is reported for a
      // transactional intent only, so the reservation is served though no slot was named.
      const booked = await prepareTurn(examples[4], model.catalog, model.tokens, model.input, false, { Restaurants_1: 'FindRestaurants' });
      expect(booked.frames[0].systemNamed).toEqual([0, 0, 0]);
      expect(booked.frames[0].systemServes[reserve]).toBe(1);
      expect(booked.frames[0].systemServes[find]).toBe(-1);
      expect(booked.frames[0].previousIntent).toBe(reserve);
      expect(booked.frames[0].previousServed).toBe(true);
    } finally {
      model.dispose();
    }
  });
});

describe('intents as a filter over the dialogue', () => {
  /** A turn's output for Restaurants_1 with the given logit parts (candidate 0 = NONE, then FindRestaurants, ReserveRestaurant). */
  const turn = (base: number[], previous: number, given?: number): SgdTurnOutput => ({
    services: ['Restaurants_1'],
    activeIntents: {},
    requestedSlots: {},
    spans: [],
    intentScores: { Restaurants_1: { base, previous, given } },
  });

  it('weighs a close earlier call instead of carrying it as certain', async () => {
    const model = await tinyModel('none', 1);
    try {
      const names = ['NONE', ...model.catalog.services.get('Restaurants_1')!.intents.map((i) => i.name)];
      expect(names).toEqual(['NONE', 'FindRestaurants', 'ReserveRestaurant']);
      const beliefs: Record<string, number[]> = {};
      const first = turn([0, 1, 0.9], 3);
      filterIntents(model.catalog, first, beliefs, 1);
      expect(first.activeIntents.Restaurants_1).toBe('FindRestaurants');
      expect(beliefs.Restaurants_1.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      // Given FindRestaurants as previous, hard picks keep it (3 against 1.5); the filter also
      // counts the 40% that the first turn was a reservation, and the message leans that way.
      const second = turn([0, 0, 1.5], 3, 1);
      filterIntents(model.catalog, second, beliefs, 1);
      expect(second.activeIntents.Restaurants_1).toBe('ReserveRestaurant');
      // A previous intent other than the belief's best (the system served it) is taken as certain.
      const served = turn([0, 0.5, 0], 3, 1);
      filterIntents(model.catalog, served, { Restaurants_1: [0, 0.1, 0.9] }, 1);
      expect(served.activeIntents.Restaurants_1).toBe('FindRestaurants');
    } finally {
      model.dispose();
    }
  });

  it('splits the logits so that hard picks are unchanged, and chooses the temperature on dev', async () => {
    const model = await tinyModel('none', 60);
    try {
      const outputs = await model.predictSplit(data);
      let given = 0;
      for (const o of outputs.values()) {
        for (const [service, scores] of Object.entries(o.intentScores!)) {
          const logits = scores.base.map((x, j) => (j === scores.given ? x + scores.previous : x));
          const best = logits.indexOf(Math.max(...logits));
          const names = ['NONE', ...model.catalog.services.get(service)!.intents.map((i) => i.name)];
          expect(o.activeIntents[service]).toBe(names[best]);
          if (scores.given !== undefined) given++;
        }
      }
      expect(given).toBeGreaterThan(0);
      const { chosen, trials } = await chooseIntentFilter(model, data, [undefined, 1]);
      expect(trials.map((t) => t.temperature)).toEqual([undefined, 1]);
      expect(model.intentTemperature).toBe(chosen);
      const worth = trials.map((t) => t.metrics.activeIntentAccuracy! + t.metrics.jointGoalAccuracy!);
      expect(worth[trials.findIndex((t) => t.temperature === chosen)]).toBe(Math.max(...worth));
    } finally {
      model.dispose();
    }
  }, 180_000);
});

describe('training on its own answers', () => {
  it("feeds a frame the head's answer for the turn its previous intent comes from, but not in place of a served intent", async () => {
    const model = await tinyModel('none', 1);
    try {
      const { find, reserve } = restaurantCandidates(model);
      // Prepared as the trainer does: each turn with the gold intents of the frames before it.
      const gold: Record<string, string> = {};
      const turns: PreparedTurn[] = [];
      for (const e of examples) {
        if (e.turnIndex === 0) for (const key of Object.keys(gold)) delete gold[key];
        turns.push(await prepareTurn(e, model.catalog, model.tokens, model.input, true, { ...gold }));
        Object.assign(gold, e.activeIntents);
      }
      const own = new OwnAnswers(examples, turns);
      // Nothing recorded yet: every turn is itself (gold previous intents).
      own.apply(turns).forEach((t, i) => expect(t).toBe(turns[i]));
      const logits = (pick: number) => tf.tensor2d([[0, 0, 0].map((_, j) => (j === pick ? 5 : 0))]);
      // Dialogue 1: "I want to find a place to eat in San Jose." answered ReserveRestaurant.
      own.record([turns[0]], logits(reserve));
      let applied = own.apply(turns);
      expect(applied[1].frames[0].previousIntent).toBe(reserve);
      expect(turns[1].frames[0].previousIntent).toBe(find); // the prepared turn stays gold
      expect(applied[2]).toBe(turns[2]); // its previous intent comes from turn 1, not answered yet
      // Turn 3 starts from the reservation the system confirmed, turn 4 from the one it reports
      // booked ("Your table at Sino is booked."): an answer replaces neither.
      expect(turns[3].frames[0].previousServed).toBe(true);
      expect(turns[4].frames[0].previousServed).toBe(true);
      own.record([turns[2]], logits(find));
      own.record([turns[3]], logits(0));
      applied = own.apply(turns);
      expect(applied[3].frames[0].previousIntent).toBe(reserve);
      expect(applied[4].frames[0].previousIntent).toBe(reserve);
      // Dialogue 2: RideSharing_1's first frame has no previous intent to replace.
      expect(applied[6].frames.find((f) => f.service === 'RideSharing_1')!.previousIntent).toBeUndefined();
    } finally {
      model.dispose();
    }
  });
});
