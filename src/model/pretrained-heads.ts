/**
 * Heads that come with a pretrained checkpoint, on top of the shared backbone: BERT's pooler
 * (tanh over the [CLS] state), BERT's masked-LM head (dense → GELU → layer norm → tied
 * vocabulary projection + bias) and GPT-2's language-model head (tied vocabulary projection).
 * Duet's task heads do not use them; they are what `duet inspect` and `duet generate` read.
 */
import * as tf from '@tensorflow/tfjs';
import { backboneVariant, type BackboneConfig } from './config.js';
import { activate, INIT_STD, layerNorm, linear } from './layers.js';
import type { ParameterStore } from './params.js';

/** Which pretrained heads a model carries. */
export interface PretrainedHeadsConfig {
  /** BERT pooler: tanh(W h[CLS] + b). */
  pooler: boolean;
  /** BERT masked-LM head. */
  maskedLm: boolean;
  /** GPT-2 next-token head. */
  causalLm: boolean;
  /** Output projections reuse the token embedding table (true for BERT and GPT-2 as published). */
  tiedEmbeddings: boolean;
}

/** Parameter names of the pretrained heads (all start with `pretrained.`). */
export const PRETRAINED_PREFIX = 'pretrained.';

export class PretrainedHeads {
  /** The token table transposed once: a matMul with transposeB is several times slower on wasm. */
  private projection?: tf.Tensor2D;
  /**
   * Reuse that transposed table across calls (inference). Training turns it off: the table
   * changes every step, and the transpose must be recorded for the gradient to reach it.
   */
  cacheProjection = true;

  constructor(
    readonly backbone: BackboneConfig,
    readonly config: PretrainedHeadsConfig,
    private readonly p: ParameterStore,
  ) {}

  /** Create every head parameter (before loading weights into them). */
  build(): void {
    tf.tidy(() => {
      const hidden = tf.zeros([1, 2, this.backbone.dModel]) as tf.Tensor3D;
      if (this.config.pooler) this.pooled(hidden);
      if (this.config.maskedLm) this.maskedLmLogits(hidden);
      if (this.config.causalLm) this.nextTokenLogits(hidden);
    });
    this.releaseProjection();
  }

  /** BERT's pooled output [B, C] from hidden states [B, T, C]. */
  pooled(hidden: tf.Tensor3D): tf.Tensor2D {
    if (!this.config.pooler) throw new Error('this model has no pooler');
    const [B, , C] = this.checkWidth(hidden);
    const cls = hidden.slice([0, 0, 0], [B, 1, C]).reshape([B, C]); // [B, C]
    return tf.tanh(linear(this.p, `${PRETRAINED_PREFIX}pooler`, cls, C)) as tf.Tensor2D;
  }

  /** Masked-LM logits [B, T, V]. */
  maskedLmLogits(hidden: tf.Tensor3D): tf.Tensor3D {
    if (!this.config.maskedLm) throw new Error('this model has no masked-LM head');
    const { dModel, vocabSize } = this.backbone;
    const variant = backboneVariant(this.backbone);
    const transformed = layerNorm(
      this.p,
      `${PRETRAINED_PREFIX}mlm.norm`,
      activate(variant.activation, linear(this.p, `${PRETRAINED_PREFIX}mlm.transform`, hidden, dModel)),
      variant.layerNormEps,
    ) as tf.Tensor3D; // [B, T, C]
    const bias = this.p.get(`${PRETRAINED_PREFIX}mlm.bias`, [vocabSize], { kind: 'zeros' });
    return this.project(transformed, `${PRETRAINED_PREFIX}mlm.decoder`).add(bias) as tf.Tensor3D;
  }

  /** Next-token logits [B, T, V]: position t scores token t + 1. */
  nextTokenLogits(hidden: tf.Tensor3D): tf.Tensor3D {
    if (!this.config.causalLm) throw new Error('this model has no language-model head');
    return this.project(hidden, `${PRETRAINED_PREFIX}lm`);
  }

  /** hidden [B, T, C] → [B, T, V] through the token table (tied) or the head's own weight [C, V]. */
  private project(hidden: tf.Tensor3D, untiedName: string): tf.Tensor3D {
    const [B, T, C] = this.checkWidth(hidden);
    const V = this.backbone.vocabSize;
    let weight: tf.Tensor2D;
    if (this.config.tiedEmbeddings && !this.cacheProjection) {
      weight = tf.transpose(this.p.require('embeddings.token')) as tf.Tensor2D; // [C, V]
    } else if (this.config.tiedEmbeddings) {
      this.projection ??= tf.keep(tf.transpose(this.p.require('embeddings.token'))) as tf.Tensor2D; // [C, V]
      weight = this.projection;
    } else {
      weight = this.p.get(`${untiedName}.weight`, [C, V], { kind: 'normal', std: INIT_STD }) as tf.Tensor2D;
    }
    return tf.matMul(hidden.reshape([B * T, C]), weight).reshape([B, T, V]);
  }

  private checkWidth(hidden: tf.Tensor3D): [number, number, number] {
    if (hidden.shape[2] !== this.backbone.dModel) throw new Error(`pretrained head expects width ${this.backbone.dModel}, got hidden states [${hidden.shape}]`);
    return hidden.shape;
  }

  /** Drop the cached transposed table (after the embeddings change, or to free memory). */
  releaseProjection(): void {
    this.projection?.dispose();
    this.projection = undefined;
  }

  dispose(): void {
    this.releaseProjection();
  }
}
