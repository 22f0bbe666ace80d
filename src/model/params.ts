/** Named trainable parameters: the one place weights live, so saving, loading and optimising see the same set. */
import * as tf from '@tensorflow/tfjs';
import { fillNormal } from '../util/random.js';

export type Initializer = { kind: 'normal'; std: number } | { kind: 'zeros' } | { kind: 'ones' };

export class ParameterStore {
  readonly variables = new Map<string, tf.Variable>();
  private readonly unpreset = new Set<string>();
  private readonly presets?: Map<string, Float32Array>;

  /**
   * @param presets values to create parameters with instead of initialising them (loading a
   * checkpoint without first filling every weight with random numbers).
   */
  constructor(
    private readonly rng: () => number,
    presets?: ReadonlyMap<string, Float32Array>,
  ) {
    // A private copy that forgets each array once it is in a tensor, so a loaded model does not
    // keep a second copy of its weights in JavaScript memory.
    this.presets = presets && new Map(presets);
  }

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
    const preset = this.presets?.get(name);
    if (preset && preset.length !== size) throw new Error(`parameter ${name} needs ${size} values ([${shape}]), the checkpoint has ${preset.length}`);
    if (this.presets && !preset) this.unpreset.add(name);
    this.presets?.delete(name);
    let values = preset;
    if (!values) {
      values = new Float32Array(size);
      if (init.kind === 'normal') fillNormal(values, init.std, this.rng);
      else if (init.kind === 'ones') values.fill(1);
    }
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

  /** Forget preset values no parameter used (call once every parameter is built). */
  releasePresets(): void {
    this.presets?.clear();
  }

  /** Parameters created without a preset value (with presets given, these were missing from the checkpoint). */
  withoutPreset(): string[] {
    return [...this.unpreset];
  }

  dispose(): void {
    for (const variable of this.variables.values()) variable.dispose();
    this.variables.clear();
  }
}
