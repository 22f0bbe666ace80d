/**
 * Hugging Face checkpoint folders with random weights and the real models' shapes (names,
 * layouts, tokenizer files), so the cost of a real BERT or GPT-2 can be measured without
 * downloading one. The weights are noise; only sizes and timings mean anything.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeSafetensors, type NamedTensor } from '../model/safetensors.js';
import { createRng, fillNormal } from '../util/random.js';

export interface BertShape {
  vocab: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  positions: number;
}

export interface Gpt2Shape {
  vocab: number;
  hidden: number;
  layers: number;
  heads: number;
  positions: number;
}

/** bert-base-uncased's shape. */
export const BERT_BASE: BertShape = { vocab: 30522, hidden: 768, layers: 12, heads: 12, intermediate: 3072, positions: 512 };
/** gpt2 (small)'s shape. */
export const GPT2_SMALL: Gpt2Shape = { vocab: 50257, hidden: 768, layers: 12, heads: 12, positions: 1024 };
/** Duet's default from-scratch backbone (config.ts DEFAULT_BACKBONE), as a BERT. */
export const DUET_DEFAULT_SIZE: BertShape = { vocab: 8000, hidden: 128, layers: 2, heads: 4, intermediate: 256, positions: 64 };

class RandomTensors {
  readonly tensors: Record<string, NamedTensor> = {};
  private readonly rng: () => number;

  constructor(seed: number) {
    this.rng = createRng(seed);
  }

  normal(name: string, shape: number[]): void {
    const data = fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1)), 0.02, this.rng);
    this.tensors[name] = { shape, data };
  }

  constant(name: string, shape: number[], value: number): void {
    this.tensors[name] = { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value) };
  }

  layerNorm(name: string, dim: number): void {
    this.constant(`${name}.weight`, [dim], 1);
    this.constant(`${name}.bias`, [dim], 0);
  }
}

/** A BertForMaskedLM folder (config.json, model.safetensors, vocab.txt) as bert-base-uncased ships it. */
export function writeRandomBert(dir: string, shape: BertShape, seed = 1): void {
  const { vocab: V, hidden: C, layers, intermediate: F, positions: P } = shape;
  const w = new RandomTensors(seed);
  const linear = (name: string, nIn: number, nOut: number) => {
    w.normal(`${name}.weight`, [nOut, nIn]);
    w.constant(`${name}.bias`, [nOut], 0);
  };
  w.normal('bert.embeddings.word_embeddings.weight', [V, C]);
  w.normal('bert.embeddings.position_embeddings.weight', [P, C]);
  w.normal('bert.embeddings.token_type_embeddings.weight', [2, C]);
  w.layerNorm('bert.embeddings.LayerNorm', C);
  for (let i = 0; i < layers; i++) {
    const L = `bert.encoder.layer.${i}`;
    for (const part of ['query', 'key', 'value']) linear(`${L}.attention.self.${part}`, C, C);
    linear(`${L}.attention.output.dense`, C, C);
    w.layerNorm(`${L}.attention.output.LayerNorm`, C);
    linear(`${L}.intermediate.dense`, C, F);
    linear(`${L}.output.dense`, F, C);
    w.layerNorm(`${L}.output.LayerNorm`, C);
  }
  linear('bert.pooler.dense', C, C);
  linear('cls.predictions.transform.dense', C, C);
  w.layerNorm('cls.predictions.transform.LayerNorm', C);
  w.constant('cls.predictions.bias', [V], 0);
  const config = {
    architectures: ['BertForMaskedLM'],
    model_type: 'bert',
    vocab_size: V,
    hidden_size: C,
    num_hidden_layers: layers,
    num_attention_heads: shape.heads,
    intermediate_size: F,
    max_position_embeddings: P,
    type_vocab_size: 2,
    hidden_act: 'gelu',
    layer_norm_eps: 1e-12,
    hidden_dropout_prob: 0.1,
  };
  // bert-base-uncased's layout: [PAD], [unused…], [UNK] = 100, [CLS], [SEP], [MASK], then the rest.
  const tokens = Array.from({ length: V }, (_, i) => `tok${i}`);
  tokens[0] = '[PAD]';
  ['[UNK]', '[CLS]', '[SEP]', '[MASK]'].forEach((t, j) => (tokens[Math.min(100, V - 4) + j] = t));
  write(dir, config, w.tensors, { 'vocab.txt': tokens.join('\n') + '\n' });
}

/** A GPT2LMHeadModel folder (config.json, model.safetensors, vocab.json, merges.txt) as gpt2 ships it. */
export function writeRandomGpt2(dir: string, shape: Gpt2Shape, seed = 2): void {
  const { vocab: V, hidden: C, layers, positions: P } = shape;
  const w = new RandomTensors(seed);
  const conv1d = (name: string, nIn: number, nOut: number) => {
    w.normal(`${name}.weight`, [nIn, nOut]);
    w.constant(`${name}.bias`, [nOut], 0);
  };
  w.normal('wte.weight', [V, C]);
  w.normal('wpe.weight', [P, C]);
  for (let i = 0; i < layers; i++) {
    const B = `h.${i}`;
    w.layerNorm(`${B}.ln_1`, C);
    conv1d(`${B}.attn.c_attn`, C, 3 * C);
    conv1d(`${B}.attn.c_proj`, C, C);
    w.layerNorm(`${B}.ln_2`, C);
    conv1d(`${B}.mlp.c_fc`, C, 4 * C);
    conv1d(`${B}.mlp.c_proj`, 4 * C, C);
  }
  w.layerNorm('ln_f', C);
  const config = {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: V,
    n_embd: C,
    n_layer: layers,
    n_head: shape.heads,
    n_positions: P,
    activation_function: 'gelu_new',
    layer_norm_epsilon: 1e-5,
    bos_token_id: V - 1,
    eos_token_id: V - 1,
  };
  // Byte symbols first (BPE needs every byte), filler tokens, <|endoftext|> last; no merges.
  const vocab: Record<string, number> = {};
  for (let b = 0; b < 256; b++) vocab[byteSymbol(b)] = b;
  for (let i = 256; i < V - 1; i++) vocab[`tok${i}`] = i;
  vocab['<|endoftext|>'] = V - 1;
  write(dir, config, w.tensors, { 'vocab.json': JSON.stringify(vocab), 'merges.txt': '#version: 0.2\n' });
}

/** GPT-2's printable stand-in for a byte (printable Latin-1 maps to itself, the rest above U+0100). */
function byteSymbol(b: number): string {
  const printable = (x: number) => (x >= 0x21 && x <= 0x7e) || (x >= 0xa1 && x <= 0xac) || (x >= 0xae && x <= 0xff);
  if (printable(b)) return String.fromCharCode(b);
  let n = 0;
  for (let x = 0; x < b; x++) if (!printable(x)) n++;
  return String.fromCharCode(256 + n);
}

function write(dir: string, config: Record<string, unknown>, tensors: Record<string, NamedTensor>, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(tensors, 'F32', { format: 'pt' }));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
}
