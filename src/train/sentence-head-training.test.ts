import { describe, expect, it } from 'vitest';
import { DEFAULT_SENTENCE_HEAD_OPTIONS } from '../model/sentence-head.js';
import { startSentenceHeadThread, type SentenceHeadJob } from './sentence-head-training.js';

const job: SentenceHeadJob = {
  train: { texts: ['wake me up at seven', 'set an alarm for six', 'what is the weather', 'will it rain today'], intents: [0, 0, 1, 1] },
  validation: { texts: ['alarm at five please', 'is it sunny'], intents: [0, 1] },
  nIntents: 2,
  // A narrow head: the thread's time goes to starting up and reading the texts, not to training.
  options: { ...DEFAULT_SENTENCE_HEAD_OPTIONS, maxEpochs: 3, checkEvery: 1, hidden: 32 },
};

describe('startSentenceHeadThread', () => {
  it('trains while this thread is busy and returns the head, its validation vectors and the seconds it took', async () => {
    const { result } = await startSentenceHeadThread(job);
    // Synchronous work, as the network's epochs are: the head must train meanwhile, not after.
    const busyUntil = Date.now() + 5000;
    while (Date.now() < busyUntil);
    const trained = await Promise.race([result, new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 300))]);
    if (trained === 'late') throw new Error('the head had not finished while this thread was busy for 5 s');
    // The members of the ensemble joined into one head.
    expect(trained.hidden).toBe(32 * DEFAULT_SENTENCE_HEAD_OPTIONS.members);
    expect(trained.weights['sentence_head.w2']).toHaveLength(trained.hidden * 2);
    expect(trained.epochs).toHaveLength(DEFAULT_SENTENCE_HEAD_OPTIONS.members);
    expect(trained.validationVectors).toHaveLength(2 * 512);
    // Unit-length sentence vectors.
    expect(Math.hypot(...trained.validationVectors.slice(0, 512))).toBeCloseTo(1, 4);
    for (const epochs of trained.epochs) expect(epochs).toBeGreaterThan(0);
    expect(trained.seconds).toBeGreaterThan(0);
  });

  it('trains no further member once the mean member would not fit the seconds available', async () => {
    const { result } = await startSentenceHeadThread({ ...job, secondsAvailable: 0 });
    const trained = await result;
    expect(trained.epochs).toHaveLength(1);
    expect(trained.hidden).toBe(32);
  });

  it("rejects with the thread's error when training fails there", async () => {
    const { result } = await startSentenceHeadThread({ ...job, options: { ...job.options, hidden: -1 } });
    await expect(result).rejects.toThrow(/training the sentence head on its thread failed: /);
  });
});
