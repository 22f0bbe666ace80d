import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { WeightAverage } from './weight-average.js';

const created: tf.Variable[] = [];
function variable(values: number[]): tf.Variable {
  const v = tf.variable(tf.tensor1d(values), true);
  created.push(v);
  return v;
}

afterEach(() => {
  for (const v of created.splice(0)) v.dispose();
});

describe('WeightAverage', () => {
  it('folds each step into an exponential moving average of tensors and plain arrays alike', () => {
    const w = variable([0, 10]);
    const table = new Float32Array([4, -4]);
    const average = new WeightAverage([w], [table], 0.5);
    w.assign(tf.tensor1d([2, 20]));
    table.set([8, 0]);
    average.update();
    w.assign(tf.tensor1d([4, 30]));
    table.set([0, 0]);
    average.update();
    expect(average.updates).toBe(2);
    average.swap();
    // start 0 -> 0.5*0 + 0.5*2 = 1 -> 0.5*1 + 0.5*4 = 2.5; 10 -> 15 -> 22.5
    expect([...w.dataSync()]).toEqual([2.5, 22.5]);
    // 4 -> 6 -> 3; -4 -> -2 -> -1
    expect([...table]).toEqual([3, -1]);
    average.dispose();
  });

  it('swaps the live weights and the average, and a second swap restores both', () => {
    const w = variable([1, 2, 3]);
    const table = new Float32Array([5]);
    const average = new WeightAverage([w], [table], 0.9);
    w.assign(tf.tensor1d([11, 12, 13]));
    table[0] = 15;
    average.update();
    const before = tf.memory().numTensors;
    average.swap();
    expect(w.dataSync()[0]).toBeCloseTo(2, 5);
    expect(table[0]).toBeCloseTo(6, 5);
    average.swap();
    expect([...w.dataSync()]).toEqual([11, 12, 13]);
    expect(table[0]).toBe(15);
    expect(tf.memory().numTensors).toBe(before);
    average.dispose();
  });

  it('leaves no tensor behind once disposed, and refuses a decay outside (0, 1)', () => {
    const w = variable([1]);
    const before = tf.memory().numTensors;
    const average = new WeightAverage([w], [], 0.99);
    for (let i = 0; i < 5; i++) average.update();
    average.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => new WeightAverage([w], [], 1)).toThrow(/decay/);
    expect(() => new WeightAverage([w], [], 0)).toThrow(/decay/);
  });
});
