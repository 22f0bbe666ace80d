/**
 * The BERT-style encoder shared by every head: token + position + segment embeddings (plus
 * optional hashed sub-word features), then N transformer blocks, pre-LN or post-LN.
 * Heads and context modes build on `encode`; the attention mask is an input so later modes can
 * pass causal or prefix masks without touching this file. The optional config fields (activation,
 * layer-norm epsilon, embedding norm, segments, causal attention) let the same code run imported
 * BERT and GPT-2 checkpoints; a KV cache makes left-to-right generation cost one position per step.
 */
import * as tf from '@tensorflow/tfjs';
import { backboneVariant, contextSettings, SPEAKER_COUNT, type BackboneConfig } from './config.js';
import { activate, dropout, embed, INIT_STD, layerNorm, linear } from './layers.js';
import type { ParameterStore } from './params.js';

/** Inputs of one encoder pass. */
export interface BackboneInputs {
  /** Token ids [B, T]. */
  ids: tf.Tensor2D;
  /** Segment ids [B, T]; absent: every token is in segment 0. */
  segments?: tf.Tensor2D;
  /** 1 for real tokens, 0 for padding [B, T]. */
  padMask: tf.Tensor2D;
  /** Extra per-token embeddings to add (e.g. sparse features) [B, T, C]. */
  extraEmbeddings?: tf.Tensor3D;
  /** Optional [T, T] mask (1 = may attend), e.g. causal; combined with padMask. */
  attentionMask?: tf.Tensor2D;
  /** Context modes: speaker of each token [B, T] (SPEAKER_USER / SPEAKER_ASSISTANT); absent: all user. */
  speakers?: tf.Tensor2D;
  /** Context modes: turn distance of each token [B, T] (0 = current turn); absent: all 0. */
  turnDistances?: tf.Tensor2D;
  /**
   * Memory mode: the memory carried from the previous turn [B, k, C]; absent: the learned initial
   * memory. The memory takes the first k positions of the output, before the tokens; padMask
   * covers the tokens only.
   */
  memory?: tf.Tensor3D;
  /**
   * Memory mode, with `memory`: 1 for the rows that start their conversation here [B, 1, 1]; those
   * rows take the learned initial memory instead of theirs (training batches mix first and later turns).
   */
  memoryFresh?: tf.Tensor3D;
  /**
   * Keys and values of positions encoded by earlier calls (incremental decoding): the new tokens
   * take the positions after them and attend to them; padMask and attentionMask then span
   * [earlier + new] keys. The cache is extended in place.
   */
  cache?: KvCache;
}

/** Keys and values of every layer for the positions encoded so far. Dispose it when done. */
export class KvCache {
  private readonly keys: tf.Tensor3D[] = [];
  private readonly values: tf.Tensor3D[] = [];
  /** Positions already encoded. */
  length = 0;

  /** Append one step's keys and values [B*H, T, D] of `layer`; returns all so far [B*H, past+T, D]. */
  append(layer: number, k: tf.Tensor3D, v: tf.Tensor3D): [tf.Tensor3D, tf.Tensor3D] {
    const pastK = this.keys[layer];
    const pastV = this.values[layer];
    // keep(): the cache outlives the tf.tidy of the step that computed it.
    const allK = tf.keep(pastK ? tf.concat([pastK, k], 1) : k);
    const allV = tf.keep(pastV ? tf.concat([pastV, v], 1) : v);
    pastK?.dispose();
    pastV?.dispose();
    this.keys[layer] = allK;
    this.values[layer] = allV;
    return [allK, allV];
  }

  dispose(): void {
    tf.dispose([...this.keys, ...this.values]);
    this.keys.length = 0;
    this.values.length = 0;
    this.length = 0;
  }
}

export interface RunOptions {
  training: boolean;
  /** Source of dropout seeds (reproducible training). */
  seed: () => number;
}

/** Shared transformer encoder. */
export class Backbone {
  constructor(
    readonly config: BackboneConfig,
    private readonly p: ParameterStore,
  ) {}

  /** Create every parameter up front so optimisers and checkpoints see them before the first step. */
  build(): void {
    tf.tidy(() => {
      const B = 1;
      const T = 2;
      this.encode(
        {
          ids: tf.zeros([B, T], 'int32') as tf.Tensor2D,
          segments: tf.zeros([B, T], 'int32') as tf.Tensor2D,
          padMask: tf.ones([B, T]) as tf.Tensor2D,
        },
        { training: false, seed: () => 0 },
      );
    });
  }

  /**
   * Hidden states [B, T, C] (after the final layer norm in pre-LN mode); in memory mode
   * [B, k + T, C], the first k rows being the memory for the next turn.
   */
  encode(inputs: BackboneInputs, run: RunOptions): tf.Tensor3D {
    const c = this.config;
    const variant = backboneVariant(c);
    const context = contextSettings(c);
    const [B, T] = inputs.ids.shape;
    const past = inputs.cache?.length ?? 0;
    // Parameters are created in this order on first use; from-scratch models' seeded initial
    // weights depend on it, so new ones go after the existing ones.
    const tokenTable = this.p.get('embeddings.token', [c.vocabSize, c.dModel], { kind: 'normal', std: INIT_STD });
    const positionTable = this.p.get('embeddings.position', [c.maxPositions, c.dModel], { kind: 'normal', std: INIT_STD });
    const segmentTable = variant.segmentEmbeddings
      ? this.p.get('embeddings.segment', [c.segmentVocabSize, c.dModel], { kind: 'normal', std: INIT_STD })
      : undefined;
    if (past + T > c.maxPositions) throw new Error(`sequence of ${past + T} tokens exceeds maxPositions ${c.maxPositions}`);

    let x = embed(tokenTable, inputs.ids) // [B, T, C]
      .add(positionTable.slice([past, 0], [T, c.dModel]).expandDims(0));
    if (segmentTable) {
      // All in segment 0 (every NLU input): add that row to every token. Same sum as the lookup,
      // which wasm's Gather makes one of the slowest steps of a forward pass.
      x = x.add(inputs.segments ? embed(segmentTable, inputs.segments) : segmentTable.slice([0, 0], [1, c.dModel]));
    }
    if (context.mode !== 'none') {
      const speakerTable = this.p.get('embeddings.speaker', [SPEAKER_COUNT, c.dModel], { kind: 'normal', std: INIT_STD });
      const distanceTable = this.p.get('embeddings.turn_distance', [context.maxTurnDistance, c.dModel], { kind: 'normal', std: INIT_STD });
      x = x.add(inputs.speakers ? embed(speakerTable, inputs.speakers) : speakerTable.slice([0, 0], [1, c.dModel]));
      x = x.add(inputs.turnDistances ? embed(distanceTable, inputs.turnDistances) : distanceTable.slice([0, 0], [1, c.dModel]));
    }
    if (inputs.extraEmbeddings) x = x.add(inputs.extraEmbeddings);
    let padMask = inputs.padMask;
    if (context.mode === 'memory') {
      if (inputs.cache) throw new Error('memory mode does not support incremental decoding');
      const k = context.memoryTokens;
      // The slot embedding tells the k memory vectors apart (they have no token or position).
      const slots = this.p.get('embeddings.memory_slot', [k, c.dModel], { kind: 'normal', std: INIT_STD });
      const initial = this.p.get('embeddings.memory_init', [k, c.dModel], { kind: 'normal', std: INIT_STD });
      const initialRows = initial.expandDims(0);
      let memory = inputs.memory ?? initialRows.tile([B, 1, 1]);
      if (inputs.memory && inputs.memoryFresh) {
        memory = memory.mul(tf.scalar(1).sub(inputs.memoryFresh)).add(initialRows.mul(inputs.memoryFresh)) as tf.Tensor3D;
      }
      if (memory.shape[1] !== k || memory.shape[2] !== c.dModel) throw new Error(`memory must be [B, ${k}, ${c.dModel}], got [${memory.shape}]`);
      x = tf.concat([memory.add(slots.expandDims(0)), x], 1);
      padMask = tf.concat([tf.ones([B, k]), padMask], 1) as tf.Tensor2D;
    }
    if (variant.embeddingNorm) x = layerNorm(this.p, 'embeddings.norm', x, variant.layerNormEps);
    x = dropout(x, c.dropout, run.training, run.seed);

    // Additive attention bias [B, 1, T|1, Tk]: 0 where allowed, -1e9 where masked.
    const Tq = x.shape[1] as number;
    const Tk = past + Tq;
    if (padMask.shape[1] !== Tk) throw new Error(`padMask covers ${inputs.padMask.shape[1]} positions, expected ${Tk - (Tq - T)}`);
    let allowed: tf.Tensor = padMask.reshape([B, 1, 1, Tk]);
    if (inputs.attentionMask) allowed = allowed.mul(inputs.attentionMask.reshape([1, 1, Tq, Tk]));
    if (variant.causal) allowed = allowed.mul(causalMask(Tq, past).reshape([1, 1, Tq, Tk]));
    const bias = tf.sub(1, allowed).mul(-1e9);

    for (let layer = 0; layer < c.nLayers; layer++) {
      x = this.block(layer, x, bias, run, inputs.cache);
    }
    if (c.norm === 'pre') x = layerNorm(this.p, 'final_norm', x, variant.layerNormEps);
    if (inputs.cache) inputs.cache.length = Tk;
    return x as tf.Tensor3D;
  }

  private block(layer: number, x: tf.Tensor, bias: tf.Tensor, run: RunOptions, cache?: KvCache): tf.Tensor {
    const c = this.config;
    const eps = backboneVariant(c).layerNormEps;
    const name = `layers.${layer}`;
    if (c.norm === 'pre') {
      x = x.add(this.attention(layer, layerNorm(this.p, `${name}.attn_norm`, x, eps), bias, run, cache));
      return x.add(this.mlp(`${name}.mlp`, layerNorm(this.p, `${name}.mlp_norm`, x, eps), run));
    }
    x = layerNorm(this.p, `${name}.attn_norm`, x.add(this.attention(layer, x, bias, run, cache)), eps);
    return layerNorm(this.p, `${name}.mlp_norm`, x.add(this.mlp(`${name}.mlp`, x, run)), eps);
  }

  private attention(layer: number, x: tf.Tensor, bias: tf.Tensor, run: RunOptions, cache?: KvCache): tf.Tensor {
    const c = this.config;
    const name = `layers.${layer}.attn`;
    const [B, T, C] = x.shape;
    const H = c.nHeads;
    const D = C / H;
    // One [C, 3C] projection, multiplied a third at a time: three [B, T, C] products need no split
    // of a 4-D tensor afterwards, which wasm does slowly (in JavaScript).
    const w = this.p.get(`${name}.qkv.weight`, [C, 3 * C], { kind: 'normal', std: INIT_STD });
    const b = this.p.get(`${name}.qkv.bias`, [3 * C], { kind: 'zeros' });
    const flat = x.reshape([B * T, C]);
    const [q, kNew, vNew] = [0, 1, 2].map(
      (part) =>
        tf
          .matMul(flat, w.slice([0, part * C], [C, C]))
          .add(b.slice([part * C], [C]))
          .reshape([B, T, H, D])
          .transpose([0, 2, 1, 3]) // [B, H, T, D]
          .reshape([B * H, T, D]) as tf.Tensor3D,
    );
    const [k, v] = cache ? cache.append(layer, kNew, vNew) : [kNew, vNew]; // [B*H, Tk, D]
    const Tk = k.shape[1];
    const kT = k.transpose([0, 2, 1]); // [B*H, D, Tk]
    let scores = tf.matMul(q, kT).mul(1 / Math.sqrt(D)).reshape([B, H, T, Tk]); // [B, H, T, Tk]
    scores = scores.add(bias);
    let weights = tf.softmax(scores, -1);
    weights = dropout(weights, c.dropout, run.training, run.seed);
    const context = tf
      .matMul(weights.reshape([B * H, T, Tk]), v) // [B*H, T, D]
      .reshape([B, H, T, D])
      .transpose([0, 2, 1, 3])
      .reshape([B, T, C]);
    return dropout(linear(this.p, `${name}.out`, context, C), c.dropout, run.training, run.seed);
  }

  private mlp(name: string, x: tf.Tensor, run: RunOptions): tf.Tensor {
    const c = this.config;
    const hidden = activate(backboneVariant(c).activation, linear(this.p, `${name}.up`, x, c.dFF)); // [B, T, FF]
    return dropout(linear(this.p, `${name}.down`, hidden, c.dModel), c.dropout, run.training, run.seed);
  }
}

/** [T, past + T]: 1 where query t (at position past + t) may see key j, i.e. j <= past + t. */
function causalMask(T: number, past: number): tf.Tensor2D {
  const Tk = past + T;
  const values = new Float32Array(T * Tk);
  for (let t = 0; t < T; t++) values.fill(1, t * Tk, t * Tk + past + t + 1);
  return tf.tensor2d(values, [T, Tk]);
}
