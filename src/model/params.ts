/** Named trainable parameters: the one place weights live, so saving, loading and optimising see the same set. */
import * as tf from '@tensorflow/tfjs';
import { fillNormal } from '../util/random.js';

export type Initializer = { kind: 'normal'; std: number } | { kind: 'zeros' } | { kind: 'ones' };

export class ParameterStore {
  readonly variables = new Map<string, tf.Variable>();

  constructor(private readonly rng: () => number) {}

  /** Create (or return the existing) parameter `name` with the given shape. */
  get(name: string, shape: number[], init: Initializer): tf.Variable {
    const existing = this.variables.get(name);
    if (existing) {
      if (existing.shape.join() !== shape.join()) {
        throw new Error(`parameter ${name} has shape [${existing.shape}] but [${shape}] was requested`);
      }
      return existing;
    }
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (init.kind === 'normal') fillNormal(values, init.std, this.rng);
    else if (init.kind === 'ones') values.fill(1);
    // tfjs variable names are process-global; the store keys by name, so let tfjs pick a unique one.
    const variable = tf.variable(tf.tensor(values, shape), true);
    this.variables.set(name, variable);
    return variable;
  }

  /** Look up an existing parameter; throws when the model was not built with it. */
  require(name: string): tf.Variable {
    const variable = this.variables.get(name);
    if (!variable) throw new Error(`parameter ${name} does not exist`);
    return variable;
  }

  dispose(): void {
    for (const variable of this.variables.values()) variable.dispose();
    this.variables.clear();
  }
}
