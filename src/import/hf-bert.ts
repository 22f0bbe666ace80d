/**
 * BERT (`BertModel`, `BertForMaskedLM`, `BertForPreTraining`) onto Duet's backbone: post-LN,
 * layer norm after the embeddings, exact-erf GELU ("gelu"), learned absolute positions,
 * token-type embeddings as segments. torch's Linear weights are [out, in] and are transposed;
 * query, key and value are concatenated into Duet's fused qkv projection. The pooler and the
 * masked-LM head (tied to the word embeddings) come along as pretrained heads.
 */
import { z } from 'zod';
import { CheckpointImportError } from '../errors.js';
import { resolveBackboneConfig } from '../model/config.js';
import { PRETRAINED_PREFIX } from '../model/pretrained-heads.js';
import type { NamedTensor } from '../model/safetensors.js';
import { geluKind, parseWith, positiveInt, TensorReader, transpose2d, type HfCheckpoint, type MappedCheckpoint } from './hf-checkpoint.js';

export const BERT_ARCHITECTURES = ['BertModel', 'BertForMaskedLM', 'BertForPreTraining'];

const bertConfigSchema = z.object({
  vocab_size: positiveInt,
  hidden_size: positiveInt,
  num_hidden_layers: positiveInt,
  num_attention_heads: positiveInt,
  intermediate_size: positiveInt,
  max_position_embeddings: positiveInt,
  type_vocab_size: positiveInt.default(2),
  hidden_act: z.string().default('gelu'),
  layer_norm_eps: z.number().positive().default(1e-12),
  hidden_dropout_prob: z.number().min(0).lt(1).default(0.1),
  position_embedding_type: z.string().default('absolute'),
  is_decoder: z.boolean().default(false),
  add_cross_attention: z.boolean().default(false),
  tie_word_embeddings: z.boolean().default(true),
});

/** Map a BERT checkpoint's config and tensors onto Duet's backbone and pretrained heads. */
export function mapBert(checkpoint: HfCheckpoint): MappedCheckpoint {
  const file = checkpoint.configFile;
  if (checkpoint.architecture && !BERT_ARCHITECTURES.includes(checkpoint.architecture)) {
    throw new CheckpointImportError(file, `architecture ${checkpoint.architecture} is not supported (supported: ${BERT_ARCHITECTURES.join(', ')})`);
  }
  const cfg = parseWith(bertConfigSchema, checkpoint.config, file);
  const activation = geluKind(cfg.hidden_act);
  if (!activation) throw new CheckpointImportError(file, `hidden_act "${cfg.hidden_act}" is not supported (supported: gelu, gelu_new, gelu_pytorch_tanh)`);
  if (cfg.position_embedding_type !== 'absolute') {
    throw new CheckpointImportError(file, `position_embedding_type "${cfg.position_embedding_type}" is not supported: Duet's backbone has learned absolute positions`);
  }
  if (cfg.is_decoder || cfg.add_cross_attention) throw new CheckpointImportError(file, 'is_decoder / add_cross_attention: a BERT decoder is not supported, only the encoder');
  if (cfg.hidden_size % cfg.num_attention_heads !== 0) {
    throw new CheckpointImportError(file, `hidden_size ${cfg.hidden_size} is not divisible by num_attention_heads ${cfg.num_attention_heads}`);
  }
  const C = cfg.hidden_size;
  const F = cfg.intermediate_size;
  const V = cfg.vocab_size;
  const r = new TensorReader(checkpoint);
  // BertModel saves without a prefix; the task models (ForMaskedLM, ForPreTraining) under "bert.".
  const p = r.has('bert.embeddings.word_embeddings.weight') ? 'bert.' : '';
  const out: Record<string, NamedTensor> = {};
  const put = (name: string, shape: number[], data: Float32Array) => (out[name] = { shape, data });
  /** torch Linear [out, in] + bias → Duet linear [in, out]. */
  const linear = (duet: string, hf: string, nIn: number, nOut: number) => {
    put(`${duet}.weight`, [nIn, nOut], transpose2d(r.take(`${hf}.weight`, [nOut, nIn]), nOut, nIn));
    put(`${duet}.bias`, [nOut], r.take(`${hf}.bias`, [nOut]));
  };
  /** Old checkpoints (bert-base-uncased among them) name layer-norm parameters gamma and beta. */
  const layerNorm = (duet: string, hf: string) => {
    const legacy = !r.has(`${hf}.weight`) && r.has(`${hf}.gamma`);
    put(`${duet}.weight`, [C], r.take(`${hf}.${legacy ? 'gamma' : 'weight'}`, [C]));
    put(`${duet}.bias`, [C], r.take(`${hf}.${legacy ? 'beta' : 'bias'}`, [C]));
  };

  put('embeddings.token', [V, C], r.take(`${p}embeddings.word_embeddings.weight`, [V, C]));
  put('embeddings.position', [cfg.max_position_embeddings, C], r.take(`${p}embeddings.position_embeddings.weight`, [cfg.max_position_embeddings, C]));
  put('embeddings.segment', [cfg.type_vocab_size, C], r.take(`${p}embeddings.token_type_embeddings.weight`, [cfg.type_vocab_size, C]));
  layerNorm('embeddings.norm', `${p}embeddings.LayerNorm`);
  for (let i = 0; i < cfg.num_hidden_layers; i++) {
    const hf = `${p}encoder.layer.${i}`;
    const duet = `layers.${i}`;
    put(`${duet}.attn.qkv.weight`, [C, 3 * C], fuseQkv(['query', 'key', 'value'].map((n) => r.take(`${hf}.attention.self.${n}.weight`, [C, C])), C));
    const biases = new Float32Array(3 * C);
    ['query', 'key', 'value'].forEach((n, j) => biases.set(r.take(`${hf}.attention.self.${n}.bias`, [C]), j * C));
    put(`${duet}.attn.qkv.bias`, [3 * C], biases);
    linear(`${duet}.attn.out`, `${hf}.attention.output.dense`, C, C);
    layerNorm(`${duet}.attn_norm`, `${hf}.attention.output.LayerNorm`);
    linear(`${duet}.mlp.up`, `${hf}.intermediate.dense`, C, F);
    linear(`${duet}.mlp.down`, `${hf}.output.dense`, F, C);
    layerNorm(`${duet}.mlp_norm`, `${hf}.output.LayerNorm`);
  }
  r.skip(`${p}embeddings.position_ids`); // a buffer (0..P-1), not a weight

  const pooler = r.has(`${p}pooler.dense.weight`);
  if (pooler) linear(`${PRETRAINED_PREFIX}pooler`, `${p}pooler.dense`, C, C);
  const maskedLm = r.has('cls.predictions.bias') || r.has('cls.predictions.transform.dense.weight');
  if (maskedLm) {
    linear(`${PRETRAINED_PREFIX}mlm.transform`, 'cls.predictions.transform.dense', C, C);
    layerNorm(`${PRETRAINED_PREFIX}mlm.norm`, 'cls.predictions.transform.LayerNorm');
    put(`${PRETRAINED_PREFIX}mlm.bias`, [V], r.take('cls.predictions.bias', [V]));
    r.skip('cls.predictions.decoder.bias'); // the same parameter as cls.predictions.bias
    if (cfg.tie_word_embeddings) {
      r.skip('cls.predictions.decoder.weight'); // a copy of the word embeddings when stored at all
    } else {
      put(`${PRETRAINED_PREFIX}mlm.decoder.weight`, [C, V], transpose2d(r.take('cls.predictions.decoder.weight', [V, C]), V, C));
    }
  }

  const backbone = resolveBackboneConfig({
    vocabSize: V,
    maxPositions: cfg.max_position_embeddings,
    segmentVocabSize: cfg.type_vocab_size,
    dModel: C,
    nLayers: cfg.num_hidden_layers,
    nHeads: cfg.num_attention_heads,
    dFF: F,
    norm: 'post',
    dropout: cfg.hidden_dropout_prob,
    tokenFeatureBuckets: 0,
    activation,
    layerNormEps: cfg.layer_norm_eps,
    embeddingNorm: true,
    segmentEmbeddings: true,
    causal: false,
  });
  return {
    family: 'bert',
    backbone,
    heads: { pooler, maskedLm, causalLm: false, tiedEmbeddings: cfg.tie_word_embeddings },
    tensors: out,
    ignored: r.untaken(),
  };
}

/** Three torch [C_out, C_in] projections → one Duet [C_in, 3·C_out] matrix: columns q | k | v. */
function fuseQkv(weights: Float32Array[], C: number): Float32Array {
  const fused = new Float32Array(C * 3 * C);
  weights.forEach((w, part) => {
    for (let o = 0; o < C; o++) {
      for (let i = 0; i < C; i++) fused[i * 3 * C + part * C + o] = w[o * C + i];
    }
  });
  return fused;
}
