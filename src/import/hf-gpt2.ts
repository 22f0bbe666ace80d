/**
 * GPT-2 (`GPT2LMHeadModel`, `GPT2Model`, `GPT2DoubleHeadsModel`) onto Duet's backbone: pre-LN
 * with a final layer norm, causal attention, tanh GELU ("gelu_new"), learned absolute positions,
 * no token-type embeddings. GPT-2's Conv1D layers store weights as [in, out], Duet's orientation
 * already, and c_attn is already the fused q | k | v projection. The LM head is tied to the token
 * embeddings, so every tied GPT-2 checkpoint can generate.
 */
import { z } from 'zod';
import { CheckpointImportError } from '../errors.js';
import { resolveBackboneConfig } from '../model/config.js';
import { PRETRAINED_PREFIX } from '../model/pretrained-heads.js';
import type { NamedTensor } from '../model/safetensors.js';
import { geluKind, parseWith, positiveInt, TensorReader, transpose2d, type HfCheckpoint, type MappedCheckpoint } from './hf-checkpoint.js';

export const GPT2_ARCHITECTURES = ['GPT2LMHeadModel', 'GPT2Model', 'GPT2DoubleHeadsModel'];

const gpt2ConfigSchema = z.object({
  vocab_size: positiveInt,
  n_embd: positiveInt,
  n_layer: positiveInt,
  n_head: positiveInt,
  n_positions: positiveInt,
  n_inner: positiveInt.nullish(),
  activation_function: z.string().default('gelu_new'),
  layer_norm_epsilon: z.number().positive().default(1e-5),
  resid_pdrop: z.number().min(0).lt(1).default(0.1),
  scale_attn_weights: z.boolean().default(true),
  scale_attn_by_inverse_layer_idx: z.boolean().default(false),
  add_cross_attention: z.boolean().default(false),
  tie_word_embeddings: z.boolean().default(true),
});

/** Map a GPT-2 checkpoint's config and tensors onto Duet's backbone and LM head. */
export function mapGpt2(checkpoint: HfCheckpoint): MappedCheckpoint {
  const file = checkpoint.configFile;
  if (checkpoint.architecture && !GPT2_ARCHITECTURES.includes(checkpoint.architecture)) {
    throw new CheckpointImportError(file, `architecture ${checkpoint.architecture} is not supported (supported: ${GPT2_ARCHITECTURES.join(', ')})`);
  }
  const cfg = parseWith(gpt2ConfigSchema, checkpoint.config, file);
  const activation = geluKind(cfg.activation_function);
  if (!activation) {
    throw new CheckpointImportError(file, `activation_function "${cfg.activation_function}" is not supported (supported: gelu_new, gelu_pytorch_tanh, gelu)`);
  }
  // These change the attention arithmetic; Duet scales scores by 1/√d only.
  if (!cfg.scale_attn_weights) throw new CheckpointImportError(file, 'scale_attn_weights=false is not supported');
  if (cfg.scale_attn_by_inverse_layer_idx) throw new CheckpointImportError(file, 'scale_attn_by_inverse_layer_idx=true is not supported');
  if (cfg.add_cross_attention) throw new CheckpointImportError(file, 'add_cross_attention=true (an encoder-decoder GPT-2) is not supported');
  if (cfg.n_embd % cfg.n_head !== 0) throw new CheckpointImportError(file, `n_embd ${cfg.n_embd} is not divisible by n_head ${cfg.n_head}`);
  const C = cfg.n_embd;
  const F = cfg.n_inner ?? 4 * C;
  const V = cfg.vocab_size;
  const P = cfg.n_positions;
  const r = new TensorReader(checkpoint);
  // GPT2Model (and the original gpt2 upload) has no prefix; GPT2LMHeadModel saves under "transformer.".
  const p = r.has('transformer.wte.weight') ? 'transformer.' : '';
  const out: Record<string, NamedTensor> = {};
  const put = (name: string, shape: number[], data: Float32Array) => (out[name] = { shape, data });
  const conv1d = (duet: string, hf: string, nIn: number, nOut: number) => {
    put(`${duet}.weight`, [nIn, nOut], r.take(`${hf}.weight`, [nIn, nOut]));
    put(`${duet}.bias`, [nOut], r.take(`${hf}.bias`, [nOut]));
  };
  const layerNorm = (duet: string, hf: string) => {
    put(`${duet}.weight`, [C], r.take(`${hf}.weight`, [C]));
    put(`${duet}.bias`, [C], r.take(`${hf}.bias`, [C]));
  };

  put('embeddings.token', [V, C], r.take(`${p}wte.weight`, [V, C]));
  put('embeddings.position', [P, C], r.take(`${p}wpe.weight`, [P, C]));
  for (let i = 0; i < cfg.n_layer; i++) {
    const hf = `${p}h.${i}`;
    const duet = `layers.${i}`;
    layerNorm(`${duet}.attn_norm`, `${hf}.ln_1`);
    conv1d(`${duet}.attn.qkv`, `${hf}.attn.c_attn`, C, 3 * C);
    conv1d(`${duet}.attn.out`, `${hf}.attn.c_proj`, C, C);
    layerNorm(`${duet}.mlp_norm`, `${hf}.ln_2`);
    conv1d(`${duet}.mlp.up`, `${hf}.mlp.c_fc`, C, F);
    conv1d(`${duet}.mlp.down`, `${hf}.mlp.c_proj`, F, C);
    // Older uploads store the causal mask as buffers; Duet builds its own.
    r.skip(`${hf}.attn.bias`);
    r.skip(`${hf}.attn.masked_bias`);
  }
  layerNorm('final_norm', `${p}ln_f`);
  let causalLm = true;
  if (cfg.tie_word_embeddings) {
    r.skip('lm_head.weight');
  } else if (checkpoint.architecture === 'GPT2Model' && !r.has('lm_head.weight')) {
    causalLm = false; // an untied bare encoder has no LM head to bring
  } else {
    put(`${PRETRAINED_PREFIX}lm.weight`, [C, V], transpose2d(r.take('lm_head.weight', [V, C]), V, C));
  }

  const backbone = resolveBackboneConfig({
    vocabSize: V,
    maxPositions: P,
    // Validation wants a positive size; with segmentEmbeddings false no table is made.
    segmentVocabSize: 1,
    dModel: C,
    nLayers: cfg.n_layer,
    nHeads: cfg.n_head,
    dFF: F,
    norm: 'pre',
    dropout: cfg.resid_pdrop,
    tokenFeatureBuckets: 0,
    activation,
    layerNormEps: cfg.layer_norm_epsilon,
    embeddingNorm: false,
    segmentEmbeddings: false,
    causal: true,
  });
  return {
    family: 'gpt2',
    backbone,
    heads: { pooler: false, maskedLm: false, causalLm, tiedEmbeddings: cfg.tie_word_embeddings },
    tensors: out,
    ignored: r.untaken(),
  };
}
