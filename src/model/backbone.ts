/**
 * The BERT-style encoder shared by every head: token + position + segment embeddings (plus
 * optional hashed sub-word features), then N transformer blocks, pre-LN or post-LN.
 * Heads and context modes build on `encode`; the attention mask is an input so later modes can
 * pass causal or prefix masks without touching this file.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackboneConfig } from './config.js';
import { dropout, embed, gelu, INIT_STD, layerNorm, linear } from './layers.js';
import type { ParameterStore } from './params.js';

/** Inputs of one encoder pass. */
export interface BackboneInputs {
  /** Token ids [B, T]. */
  ids: tf.Tensor2D;
  /** Segment ids [B, T]. */
  segments: tf.Tensor2D;
  /** 1 for real tokens, 0 for padding [B, T]. */
  padMask: tf.Tensor2D;
  /** Extra per-token embeddings to add (e.g. sparse features) [B, T, C]. */
  extraEmbeddings?: tf.Tensor3D;
  /** Optional [T, T] mask (1 = may attend), e.g. causal; combined with padMask. */
  attentionMask?: tf.Tensor2D;
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

  /** Hidden states [B, T, C] (after the final layer norm in pre-LN mode). */
  encode(inputs: BackboneInputs, run: RunOptions): tf.Tensor3D {
    const c = this.config;
    const [B, T] = inputs.ids.shape;
    const tokenTable = this.p.get('embeddings.token', [c.vocabSize, c.dModel], { kind: 'normal', std: INIT_STD });
    const positionTable = this.p.get('embeddings.position', [c.maxPositions, c.dModel], { kind: 'normal', std: INIT_STD });
    const segmentTable = this.p.get('embeddings.segment', [c.segmentVocabSize, c.dModel], { kind: 'normal', std: INIT_STD });
    if (T > c.maxPositions) throw new Error(`sequence of ${T} tokens exceeds maxPositions ${c.maxPositions}`);

    let x = embed(tokenTable, inputs.ids) // [B, T, C]
      .add(positionTable.slice([0, 0], [T, c.dModel]).expandDims(0))
      .add(embed(segmentTable, inputs.segments));
    if (inputs.extraEmbeddings) x = x.add(inputs.extraEmbeddings);
    if (c.norm === 'post') x = layerNorm(this.p, 'embeddings.norm', x);
    x = dropout(x, c.dropout, run.training, run.seed);

    // Additive attention bias [B, 1, T|1, T]: 0 where allowed, -1e9 where masked.
    let allowed: tf.Tensor = inputs.padMask.reshape([B, 1, 1, T]);
    if (inputs.attentionMask) allowed = allowed.mul(inputs.attentionMask.reshape([1, 1, T, T]));
    const bias = tf.sub(1, allowed).mul(-1e9);

    for (let layer = 0; layer < c.nLayers; layer++) {
      x = this.block(`layers.${layer}`, x, bias, run);
    }
    if (c.norm === 'pre') x = layerNorm(this.p, 'final_norm', x);
    return x as tf.Tensor3D;
  }

  private block(name: string, x: tf.Tensor, bias: tf.Tensor, run: RunOptions): tf.Tensor {
    const c = this.config;
    if (c.norm === 'pre') {
      x = x.add(this.attention(`${name}.attn`, layerNorm(this.p, `${name}.attn_norm`, x), bias, run));
      return x.add(this.mlp(`${name}.mlp`, layerNorm(this.p, `${name}.mlp_norm`, x), run));
    }
    x = layerNorm(this.p, `${name}.attn_norm`, x.add(this.attention(`${name}.attn`, x, bias, run)));
    return layerNorm(this.p, `${name}.mlp_norm`, x.add(this.mlp(`${name}.mlp`, x, run)));
  }

  private attention(name: string, x: tf.Tensor, bias: tf.Tensor, run: RunOptions): tf.Tensor {
    const c = this.config;
    const [B, T, C] = x.shape;
    const H = c.nHeads;
    const D = C / H;
    const qkv = linear(this.p, `${name}.qkv`, x, 3 * C); // [B, T, 3C]
    // A 4-D transpose: wasm's 5-D transpose is ~100x slower.
    const heads = qkv.reshape([B, T, 3 * H, D]).transpose([0, 2, 1, 3]); // [B, 3H, T, D]
    const [q, k, v] = tf.split(heads, 3, 1).map((t) => t.reshape([B * H, T, D]));
    const kT = k.transpose([0, 2, 1]); // [B*H, D, T]
    let scores = tf.matMul(q, kT).mul(1 / Math.sqrt(D)).reshape([B, H, T, T]); // [B, H, T, T]
    scores = scores.add(bias);
    let weights = tf.softmax(scores, -1);
    weights = dropout(weights, c.dropout, run.training, run.seed);
    const context = tf
      .matMul(weights.reshape([B * H, T, T]), v) // [B*H, T, D]
      .reshape([B, H, T, D])
      .transpose([0, 2, 1, 3])
      .reshape([B, T, C]);
    return dropout(linear(this.p, `${name}.out`, context, C), c.dropout, run.training, run.seed);
  }

  private mlp(name: string, x: tf.Tensor, run: RunOptions): tf.Tensor {
    const c = this.config;
    const hidden = gelu(linear(this.p, `${name}.up`, x, c.dFF)); // [B, T, FF]
    return dropout(linear(this.p, `${name}.down`, hidden, c.dModel), c.dropout, run.training, run.seed);
  }
}
