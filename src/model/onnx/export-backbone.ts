/**
 * A Duet backbone (and its pretrained heads) written as an ONNX graph, straight from the model
 * folder's config and weights: the same math as backbone.ts, pretrained-heads.ts and layers.ts,
 * op for op, in standard ONNX ops (opset 17). onnxruntime runs it several times faster than the
 * tfjs wasm backend (see docs/pretrained.md); training stays on tfjs.
 */
import { ModelLoadError, ModelInputError } from '../../errors.js';
import { backboneVariant, resolveBackboneConfig, type BackboneConfig, type GeluKind } from '../config.js';
import { readModelFolder } from '../model-folder.js';
import type { PretrainedHeadsConfig } from '../pretrained-heads.js';
import { PRETRAINED_PREFIX } from '../pretrained-heads.js';
import type { NamedTensor } from '../safetensors.js';
import { WORD_VECTOR_PROJECTION } from '../word-vectors.js';
import { DataType, encodeModel, float, GraphBuilder } from './onnx-proto.js';

/** What one exported graph computes besides the last hidden states. */
export interface BackboneGraphOptions {
  /** BERT's pooled output (when the model has a pooler). */
  pooled?: boolean;
  /** Masked-LM or next-token logits for every position ('all'), the last one only ('last'), or none. */
  logits?: 'none' | 'all' | 'last';
  /** Keys and values of earlier positions as inputs and outputs (incremental decoding; causal models). */
  cache?: boolean;
  /** Per-token features [batch, sequence, width] added to the embeddings (a Duet NLU model's hashed word features). */
  tokenFeatures?: boolean;
  /** Width of the pretrained word vectors [batch, sequence, width] projected into the embeddings (a Duet NLU model with word vectors). */
  wordVectors?: number;
  /**
   * A Duet NLU model's heads (nlu-network.ts): with `sentence_features` [batch, sentenceDim] in,
   * `intent_probs` [batch, intents] and `slot_log_probs` [batch, sequence, slotTags] out.
   */
  nlu?: { intents: number; slotTags: number; sentenceDim: number };
}

/** Graph input and output names (also what `duet export-onnx` documents). */
export const ONNX_NAMES = {
  ids: 'input_ids',
  segments: 'token_type_ids',
  mask: 'attention_mask',
  hidden: 'last_hidden_state',
  pooled: 'pooled',
  logits: 'logits',
  pastKey: (layer: number) => `past_key_${layer}`,
  pastValue: (layer: number) => `past_value_${layer}`,
  tokenFeatures: 'token_features',
  tokenVectors: 'token_vectors',
  sentenceFeatures: 'sentence_features',
  intentProbs: 'intent_probs',
  slotLogProbs: 'slot_log_probs',
  presentKey: (layer: number) => `present_key_${layer}`,
  presentValue: (layer: number) => `present_value_${layer}`,
} as const;

/** Reads the weights a graph needs, by Duet parameter name, with their shapes checked. */
type Weights = (name: string, shape: number[]) => string;

/**
 * Build the ONNX ModelProto of a backbone. Inputs: `input_ids` [batch, sequence] int64,
 * `token_type_ids` (models with segment embeddings), `attention_mask` [batch, past + sequence]
 * int64 (1 = real token), and with `cache` the past keys and values of every layer
 * [batch, heads, past, head width]. Outputs: `last_hidden_state` [batch, sequence, width], then
 * `pooled`, `logits`, `present_*` as asked.
 */
export function exportBackboneGraph(
  config: BackboneConfig,
  heads: PretrainedHeadsConfig | undefined,
  tensors: Record<string, NamedTensor>,
  options: BackboneGraphOptions = {},
): Uint8Array {
  const c = config;
  const variant = backboneVariant(c);
  const H = c.nHeads;
  const D = c.dModel / H;
  const C = c.dModel;
  const logits = options.logits ?? 'none';
  if (options.cache && !variant.causal) throw new ModelInputError('a key/value cache needs a causal (GPT-2 style) model');
  if (options.pooled && !heads?.pooler) throw new ModelInputError('this model has no pooler');
  if (logits !== 'none' && !heads?.maskedLm && !heads?.causalLm) throw new ModelInputError('this model has no masked-LM or language-model head');

  const g = new GraphBuilder();
  const seen = new Set<string>();
  const weight: Weights = (name, shape) => {
    const t = tensors[name];
    if (!t) throw new ModelLoadError(`the model has no tensor ${name}, which the ONNX graph needs`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ModelLoadError(`tensor ${name} has shape [${t.shape}], expected [${shape}]`);
    }
    if (!seen.has(name)) g.weight(name, t.shape, t.data);
    seen.add(name);
    return name;
  };
  const linear = (name: string, x: string, nIn: number, nOut: number): string =>
    g.op1('Add', [g.op1('MatMul', [x, weight(`${name}.weight`, [nIn, nOut])]), weight(`${name}.bias`, [nOut])], {}, name);
  const layerNorm = (name: string, x: string): string =>
    g.op1('LayerNormalization', [x, weight(`${name}.weight`, [C]), weight(`${name}.bias`, [C])], { axis: -1, epsilon: float(variant.layerNormEps) }, name);

  const ids = g.input(ONNX_NAMES.ids, DataType.INT64, ['batch', 'sequence']);
  const segments = variant.segmentEmbeddings ? g.input(ONNX_NAMES.segments, DataType.INT64, ['batch', 'sequence']) : undefined;
  const mask = g.input(ONNX_NAMES.mask, DataType.INT64, ['batch', options.cache ? 'total' : 'sequence']);
  const past: { key: string; value: string }[] = [];
  if (options.cache) {
    for (let layer = 0; layer < c.nLayers; layer++) {
      past.push({
        key: g.input(ONNX_NAMES.pastKey(layer), DataType.FLOAT, ['batch', H, 'past', D]),
        value: g.input(ONNX_NAMES.pastValue(layer), DataType.FLOAT, ['batch', H, 'past', D]),
      });
    }
  }

  // Embeddings: token + position (after the cached ones) + segment, then the embedding norm.
  const T = g.op1('Shape', [ids], { start: 1, end: 2 }, 'T'); // [1]
  const start = options.cache ? g.op1('Shape', [past[0].key], { start: 2, end: 3 }, 'past') : g.ints([0]); // [1]
  const end = options.cache ? g.op1('Add', [start, T], {}, 'Tk') : T;
  const positions = g.op1('Slice', [weight('embeddings.position', [c.maxPositions, C]), start, end, g.ints([0])], {}, 'positions'); // [T, C]
  let x = g.op1('Add', [g.op1('Gather', [weight('embeddings.token', [c.vocabSize, C]), ids], { axis: 0 }, 'tokens'), positions], {}, 'embedded'); // [B, T, C]
  if (segments) x = g.op1('Add', [x, g.op1('Gather', [weight('embeddings.segment', [c.segmentVocabSize, C]), segments], { axis: 0 })]);
  if (options.tokenFeatures) x = g.op1('Add', [x, g.input(ONNX_NAMES.tokenFeatures, DataType.FLOAT, ['batch', 'sequence', C])]);
  if (options.wordVectors) {
    const vectors = g.input(ONNX_NAMES.tokenVectors, DataType.FLOAT, ['batch', 'sequence', options.wordVectors]);
    x = g.op1('Add', [x, linear(WORD_VECTOR_PROJECTION, vectors, options.wordVectors, C)]);
  }
  if (variant.embeddingNorm) x = layerNorm('embeddings.norm', x);

  // Additive attention bias [B, 1, T|1, Tk]: 0 where allowed, -1e9 where masked (as backbone.ts).
  let allowed = g.op1('Unsqueeze', [g.op1('Cast', [mask], { to: DataType.FLOAT }), g.ints([1, 2])], {}, 'allowed'); // [B, 1, 1, Tk]
  if (variant.causal) {
    const square = g.op1('ConstantOfShape', [g.op1('Concat', [T, end], { axis: 0 })], { value: { name: '', dims: [1], data_type: DataType.FLOAT, raw_data: new Uint8Array(Float32Array.of(1).buffer) } });
    const causal = g.op1('Trilu', [square, g.op1('Squeeze', [start, g.ints([0])])], { upper: 0 }, 'causal'); // [T, Tk]: key j <= past + t
    allowed = g.op1('Mul', [allowed, causal]);
  }
  const bias = g.op1('Mul', [g.op1('Sub', [g.floats([1]), allowed]), g.floats([-1e9])], {}, 'bias');

  const attention = (layer: number, input: string): string => {
    const name = `layers.${layer}.attn`;
    const qkv = linear(`${name}.qkv`, input, C, 3 * C); // [B, T, 3C]
    const [q, k, v] = g.op('Split', [qkv, g.ints([C, C, C])], { axis: -1 }, 3, 'qkv');
    const split = (t: string) => g.op1('Transpose', [g.op1('Reshape', [t, g.ints([0, 0, H, D])])], { perm: [0, 2, 1, 3] }); // [B, H, T, D]
    let keys = split(k);
    let values = split(v);
    if (options.cache) {
      keys = g.op1('Concat', [past[layer].key, keys], { axis: 2 }); // [B, H, Tk, D]
      values = g.op1('Concat', [past[layer].value, values], { axis: 2 });
      g.output(ONNX_NAMES.presentKey(layer), keys, DataType.FLOAT, ['batch', H, 'total', D]);
      g.output(ONNX_NAMES.presentValue(layer), values, DataType.FLOAT, ['batch', H, 'total', D]);
    }
    const kT = g.op1('Transpose', [keys], { perm: [0, 1, 3, 2] }); // [B, H, D, Tk]
    const scores = g.op1('Add', [g.op1('Mul', [g.op1('MatMul', [split(q), kT]), g.floats([1 / Math.sqrt(D)])]), bias], {}, 'scores'); // [B, H, T, Tk]
    const weights = g.op1('Softmax', [scores], { axis: -1 });
    const context = g.op1('MatMul', [weights, values]); // [B, H, T, D]
    const merged = g.op1('Reshape', [g.op1('Transpose', [context], { perm: [0, 2, 1, 3] }), g.ints([0, 0, C])]); // [B, T, C]
    return linear(`${name}.out`, merged, C, C);
  };
  const mlp = (name: string, input: string): string => linear(`${name}.down`, gelu(g, variant.activation, linear(`${name}.up`, input, C, c.dFF)), c.dFF, C);

  for (let layer = 0; layer < c.nLayers; layer++) {
    const name = `layers.${layer}`;
    if (c.norm === 'pre') {
      x = g.op1('Add', [x, attention(layer, layerNorm(`${name}.attn_norm`, x))]);
      x = g.op1('Add', [x, mlp(`${name}.mlp`, layerNorm(`${name}.mlp_norm`, x))]);
    } else {
      x = layerNorm(`${name}.attn_norm`, g.op1('Add', [x, attention(layer, x)]));
      x = layerNorm(`${name}.mlp_norm`, g.op1('Add', [x, mlp(`${name}.mlp`, x)]));
    }
  }
  if (c.norm === 'pre') x = layerNorm('final_norm', x);
  g.output(ONNX_NAMES.hidden, x, DataType.FLOAT, ['batch', 'sequence', C]);

  if (options.pooled) {
    const cls = g.op1('Gather', [x, g.ints([0], [])], { axis: 1 }, 'cls'); // [B, C]
    g.output(ONNX_NAMES.pooled, g.op1('Tanh', [linear(`${PRETRAINED_PREFIX}pooler`, cls, C, C)]), DataType.FLOAT, ['batch', C]);
  }

  if (options.nlu) {
    // As NluNetwork.forward: [CLS] beside the mean of the real tokens, a dense and a sparse intent
    // head added, and a slot head on every token.
    const { intents, slotTags, sentenceDim } = options.nlu;
    const maskF = g.op1('Cast', [mask], { to: DataType.FLOAT }); // [B, T]
    const cls = g.op1('Gather', [x, g.ints([0], [])], { axis: 1 }, 'cls'); // [B, C]
    const summed = g.op1('ReduceSum', [g.op1('Mul', [x, g.op1('Unsqueeze', [maskF, g.ints([2])])]), g.ints([1])], { keepdims: 0 }); // [B, C]
    const meanPool = g.op1('Div', [summed, g.op1('ReduceSum', [maskF, g.ints([1])], { keepdims: 1 })]);
    const pooled = g.op1('Concat', [cls, meanPool], { axis: 1 }); // [B, 2C]
    const sentence = g.input(ONNX_NAMES.sentenceFeatures, DataType.FLOAT, ['batch', sentenceDim]);
    const intentLogits = g.op1('Add', [linear('heads.intent.dense', pooled, 2 * C, intents), linear('heads.intent.sparse', sentence, sentenceDim, intents)]);
    g.output(ONNX_NAMES.intentProbs, g.op1('Softmax', [intentLogits], { axis: -1 }), DataType.FLOAT, ['batch', intents]);
    g.output(ONNX_NAMES.slotLogProbs, g.op1('LogSoftmax', [linear('heads.slots', x, C, slotTags)], { axis: -1 }), DataType.FLOAT, ['batch', 'sequence', slotTags]);
  }

  if (logits !== 'none' && heads) {
    let h = x;
    if (logits === 'last') {
      const last = g.op1('Sub', [g.op1('Squeeze', [T, g.ints([0])]), g.ints([1], [])]);
      h = g.op1('Unsqueeze', [g.op1('Gather', [x, last], { axis: 1 }), g.ints([1])], {}, 'last'); // [B, 1, C]
    }
    const V = c.vocabSize;
    let out: string;
    if (heads.maskedLm) {
      const transformed = layerNorm(`${PRETRAINED_PREFIX}mlm.norm`, gelu(g, variant.activation, linear(`${PRETRAINED_PREFIX}mlm.transform`, h, C, C)));
      out = project(g, weight, c, heads, transformed, `${PRETRAINED_PREFIX}mlm.decoder`, weight(`${PRETRAINED_PREFIX}mlm.bias`, [V]));
    } else {
      out = project(g, weight, c, heads, h, `${PRETRAINED_PREFIX}lm`);
    }
    g.output(ONNX_NAMES.logits, out, DataType.FLOAT, ['batch', logits === 'last' ? 1 : 'sequence', V]);
  }

  return encodeModel(g, {
    name: 'duet_backbone',
    docString: `Duet backbone: ${c.nLayers} layers, width ${C}, ${H} heads, ${c.norm}-LN${variant.causal ? ', causal' : ''}`,
  });
}

/** Export a Duet model folder's backbone (and pretrained heads) as ONNX bytes, with the graph's input and output names. */
export function exportModelFolder(dir: string, options: Omit<BackboneGraphOptions, 'pooled'> = {}): { bytes: Uint8Array; inputs: string[]; outputs: string[] } {
  const { metadata, tensors } = readModelFolder(dir);
  const config = resolveBackboneConfig(metadata.config.backbone);
  const heads = metadata.pretrained?.heads;
  const graph: BackboneGraphOptions = { ...options, pooled: Boolean(heads?.pooler) };
  const bytes = exportBackboneGraph(config, heads, tensors, graph);
  const variant = backboneVariant(config);
  const inputs: string[] = [ONNX_NAMES.ids, ...(variant.segmentEmbeddings ? [ONNX_NAMES.segments] : []), ONNX_NAMES.mask];
  const outputs: string[] = [ONNX_NAMES.hidden, ...(graph.pooled ? [ONNX_NAMES.pooled] : []), ...((options.logits ?? 'none') !== 'none' ? [ONNX_NAMES.logits] : [])];
  if (options.cache) {
    inputs.push(`${ONNX_NAMES.pastKey(0)}…${ONNX_NAMES.pastValue(config.nLayers - 1)}`);
    outputs.push(`${ONNX_NAMES.presentKey(0)}…${ONNX_NAMES.presentValue(config.nLayers - 1)}`);
  }
  return { bytes, inputs, outputs };
}

/** hidden [B, T, C] → [B, T, V] through the token table (tied, as a Gemm with transB: no transposed copy) or the head's own [C, V]. */
function project(g: GraphBuilder, weight: Weights, c: BackboneConfig, heads: PretrainedHeadsConfig, hidden: string, untiedName: string, bias?: string): string {
  const V = c.vocabSize;
  if (!heads.tiedEmbeddings) {
    const y = g.op1('MatMul', [hidden, weight(`${untiedName}.weight`, [c.dModel, V])]);
    return bias ? g.op1('Add', [y, bias]) : y;
  }
  const flat = g.op1('Reshape', [hidden, g.ints([-1, c.dModel])]); // [B*T, C]
  const table = weight('embeddings.token', [V, c.dModel]);
  const y = g.op1('Gemm', bias ? [flat, table, bias] : [flat, table], { transB: 1 }); // [B*T, V]
  const shape = g.op1('Concat', [g.op1('Shape', [hidden], { start: 0, end: 2 }), g.ints([V])], { axis: 0 });
  return g.op1('Reshape', [y, shape], {}, 'logits');
}

/** The GELU variants of layers.ts, in the same operation order. */
function gelu(g: GraphBuilder, kind: GeluKind, x: string): string {
  const half = g.op1('Mul', [x, g.floats([0.5])]);
  if (kind === 'gelu_erf') {
    return g.op1('Mul', [half, g.op1('Add', [g.op1('Erf', [g.op1('Mul', [x, g.floats([Math.SQRT1_2])])]), g.floats([1])])], {}, 'gelu');
  }
  const cube = g.op1('Mul', [g.op1('Mul', [g.op1('Mul', [x, x]), x]), g.floats([0.044715])]);
  const inner = g.op1('Mul', [g.op1('Add', [x, cube]), g.floats([Math.sqrt(2 / Math.PI)])]);
  return g.op1('Mul', [half, g.op1('Add', [g.op1('Tanh', [inner]), g.floats([1])])], {}, 'gelu');
}
