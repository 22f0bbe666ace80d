/**
 * Adam with decoupled weight decay (AdamW) and global-norm gradient clipping, with its moments
 * in the open: a checkpoint saves them and a resumed run continues bit for bit (tfjs's Adam keeps
 * its step count in powers of beta that cannot be restored exactly).
 */
import * as tf from '@tensorflow/tfjs';

export interface AdamWSettings {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  /** Scale gradients down when their global L2 norm exceeds this (0: never). */
  clipNorm: number;
}

export const DEFAULT_ADAMW: Readonly<AdamWSettings> = Object.freeze({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01, clipNorm: 1 });

/** One trained parameter and its moments. */
interface Slot {
  variable: tf.Variable;
  m: tf.Variable;
  v: tf.Variable;
  decay: boolean;
}

export class AdamW {
  private readonly slots = new Map<string, Slot>();
  /** Updates applied so far (bias correction uses it). */
  step = 0;

  /**
   * @param params trained parameters by name
   * @param decays whether a parameter gets weight decay (BERT: not biases and layer norms)
   * @param moments saved first and second moments by parameter name (resuming)
   */
  constructor(
    params: ReadonlyMap<string, tf.Variable>,
    private readonly settings: AdamWSettings,
    decays: (name: string) => boolean,
    moments?: { m: ReadonlyMap<string, Float32Array>; v: ReadonlyMap<string, Float32Array>; step: number },
  ) {
    for (const [name, variable] of params) {
      const saved = (which: 'm' | 'v') => {
        const values = moments?.[which].get(name);
        if (moments && !values) throw new Error(`the checkpoint has no ${which === 'm' ? 'first' : 'second'} moment for ${name}`);
        if (values && values.length !== variable.size) throw new Error(`the checkpoint's moment of ${name} has ${values.length} values, the parameter ${variable.size}`);
        return tf.variable(values ? tf.tensor(values, variable.shape) : tf.zerosLike(variable), false);
      };
      this.slots.set(name, { variable, m: saved('m'), v: saved('v'), decay: decays(name) });
    }
    this.step = moments?.step ?? 0;
  }

  /**
   * Apply one update at `learningRate` from gradients keyed by tfjs variable name (parameters
   * without a gradient this step are left alone). Returns the gradients' global norm before clipping.
   */
  apply(grads: Record<string, tf.Tensor>, learningRate: number): number {
    const { beta1, beta2, epsilon, weightDecay, clipNorm } = this.settings;
    const present = [...this.slots.values()].filter((s) => grads[s.variable.name]);
    const normT = tf.tidy(() => tf.addN(present.map((s) => tf.sum(tf.square(grads[s.variable.name])))).sqrt());
    const norm = (normT.dataSync() as Float32Array)[0];
    normT.dispose();
    const clip = clipNorm > 0 && norm > clipNorm ? clipNorm / norm : 1;
    this.step++;
    const correction1 = 1 - beta1 ** this.step;
    const correction2 = 1 - beta2 ** this.step;
    for (const slot of present) {
      tf.tidy(() => {
        const g = clip === 1 ? grads[slot.variable.name] : grads[slot.variable.name].mul(clip);
        const m = slot.m.mul(beta1).add(g.mul(1 - beta1));
        const v = slot.v.mul(beta2).add(g.square().mul(1 - beta2));
        slot.m.assign(m);
        slot.v.assign(v);
        let update = m.div(correction1).div(v.div(correction2).sqrt().add(epsilon));
        if (slot.decay && weightDecay > 0) update = update.add(slot.variable.mul(weightDecay));
        slot.variable.assign(slot.variable.sub(update.mul(learningRate)));
      });
    }
    return norm;
  }

  /** The moments, as a checkpoint stores them. */
  moments(): { m: Map<string, Float32Array>; v: Map<string, Float32Array> } {
    const m = new Map<string, Float32Array>();
    const v = new Map<string, Float32Array>();
    for (const [name, slot] of this.slots) {
      m.set(name, slot.m.dataSync() as Float32Array);
      v.set(name, slot.v.dataSync() as Float32Array);
    }
    return { m, v };
  }

  dispose(): void {
    for (const slot of this.slots.values()) {
      slot.m.dispose();
      slot.v.dispose();
    }
    this.slots.clear();
  }
}
