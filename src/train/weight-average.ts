/**
 * An exponential moving average of a model's weights over the last part of training (Polyak
 * averaging). Near its end, training still moves the weights by each batch's noise; the average
 * of the last few hundred steps' weights is usually a little better, and varies less from run to
 * run, than the last step's weights. Whether it is better is for validation data to say, so the
 * average is kept beside the weights and `swap` exchanges the two.
 */
import * as tf from '@tensorflow/tfjs';

export class WeightAverage {
  private readonly shadows = new Map<tf.Variable, tf.Variable>();
  private readonly arrayShadows: { live: Float32Array; shadow: Float32Array }[];
  /** Steps averaged so far. */
  updates = 0;

  /**
   * Starts from the weights as they are now.
   * @param variables the trained tensors
   * @param arrays weights kept outside the tensor library (a sparse feature table), averaged alike
   * @param decay weight of the old average at each update (0.998: about the last 500 steps count)
   */
  constructor(
    variables: Iterable<tf.Variable>,
    arrays: readonly Float32Array[],
    readonly decay: number,
  ) {
    if (!(decay > 0 && decay < 1)) throw new Error(`weight average decay must be between 0 and 1, got ${decay}`);
    for (const v of variables) {
      // The variable shares the copy's data (reference-counted): disposing the copy keeps it.
      const copy = v.clone();
      this.shadows.set(v, tf.variable(copy, false));
      copy.dispose();
    }
    this.arrayShadows = arrays.map((live) => ({ live, shadow: live.slice() }));
  }

  /** Fold the current weights into the average (call after each optimiser step). */
  update(): void {
    const d = this.decay;
    tf.tidy(() => {
      for (const [live, shadow] of this.shadows) shadow.assign(shadow.mul(d).add(live.mul(1 - d)));
    });
    for (const { live, shadow } of this.arrayShadows) {
      for (let i = 0; i < live.length; i++) shadow[i] = d * shadow[i] + (1 - d) * live[i];
    }
    this.updates++;
  }

  /** Exchange the live weights and the average; a second call restores both. */
  swap(): void {
    for (const [live, shadow] of this.shadows) {
      const kept = live.clone();
      live.assign(shadow);
      shadow.assign(kept);
      kept.dispose();
    }
    for (const { live, shadow } of this.arrayShadows) {
      for (let i = 0; i < live.length; i++) {
        const kept = live[i];
        live[i] = shadow[i];
        shadow[i] = kept;
      }
    }
  }

  dispose(): void {
    for (const shadow of this.shadows.values()) shadow.dispose();
    this.shadows.clear();
    this.arrayShadows.length = 0;
  }
}
