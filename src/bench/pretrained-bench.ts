/**
 * `duet bench pretrained`: what a real checkpoint costs on this machine, measured on random
 * weights with the real shapes (BERT-base, GPT-2 small) and, for scale, Duet's default
 * from-scratch backbone: checkpoint size, import and load time, memory, BERT per-utterance
 * latency, GPT-2 per-token latency with the KV cache, on either engine (tfjs wasm, or the same
 * weights as an ONNX graph in onnxruntime-node). nlp.js has no pretrained transformer to compare
 * with; Duet's default-size backbone is the reference point instead.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { importCheckpoint } from '../import/import-checkpoint.js';
import { tensorMemory } from '../model/backend.js';
import { loadOnnxBackbone } from '../model/onnx/onnx-backbone.js';
import { loadPretrainedModel } from '../model/pretrained-model.js';
import { median } from '../nlu/evaluate-model.js';
import { BERT_BASE, DUET_DEFAULT_SIZE, GPT2_SMALL, writeRandomBert, writeRandomGpt2, type BertShape, type Gpt2Shape } from './random-checkpoint.js';

export type PretrainedBenchModel = 'bert' | 'gpt2' | 'small';
export const PRETRAINED_BENCH_MODELS: PretrainedBenchModel[] = ['bert', 'gpt2', 'small'];

/** tfjs with the wasm backend (training and default inference), or onnxruntime-node on an exported graph. */
export type InferenceEngine = 'tfjs' | 'onnx';
export const INFERENCE_ENGINES: InferenceEngine[] = ['tfjs', 'onnx'];

/** Timed generation runs per length, of which the median counts. */
const GENERATION_REPEATS = 5;

export interface PretrainedBenchOptions {
  model: PretrainedBenchModel;
  /** Utterance length for encoder latency. */
  tokens: number;
  /** Tokens generated for the per-token latency. */
  newTokens: number;
  /** Timed encoder passes (after two untimed ones). */
  runs: number;
  /** Shape overrides (tests use tiny ones). */
  shape?: BertShape | Gpt2Shape;
  /** Which engine runs the model (default tfjs). */
  engine?: InferenceEngine;
  /** onnx only: onnxruntime's intra-op threads (default 1). */
  threads?: number;
  log?: (line: string) => void;
}

export interface PretrainedBenchResult {
  model: string;
  engine: InferenceEngine;
  /** onnx only: onnxruntime's intra-op threads. */
  threads?: number;
  shape: BertShape | Gpt2Shape;
  parameters: number;
  checkpoint_mb: number;
  import_s: number;
  load_s: number;
  /** Resident set size after loading (whole process, after a garbage collection when node runs with --expose-gc). */
  rss_mb: number;
  /** Bytes held by tfjs tensors after loading (weights, plus the cached transposed output table once used); 0 with onnx, whose weights are in rss. */
  tensor_mb: number;
  /** Encoder pass over one utterance of `tokens` tokens (backbone only, what an NLU head pays). */
  utterance_tokens: number;
  utterance_p50_ms: number;
  utterance_mean_ms: number;
  /** GPT-2 only: prompt of `tokens` tokens, then `new_tokens` greedy tokens with the KV cache. */
  new_tokens?: number;
  prefill_ms?: number;
  per_token_ms?: number;
  tokens_per_s?: number;
  rss_after_mb: number;
  tensor_after_mb: number;
}

const MB = 1024 * 1024;

/** The model-independent half of a result: the checkpoint and its import. */
export interface PreparedBenchModel {
  model: string;
  shape: BertShape | Gpt2Shape;
  generates: boolean;
  parameters: number;
  checkpoint_mb: number;
  import_s: number;
  /** The imported Duet model folder. */
  modelDir: string;
}

export type MeasureOptions = Pick<PretrainedBenchOptions, 'tokens' | 'newTokens' | 'runs' | 'engine' | 'threads' | 'log'>;

/** What the timing loop needs from a loaded model, whichever engine runs it. */
interface TimedModel {
  hiddenStates(ids: number[]): Promise<unknown> | unknown;
  generate(ids: number[], maxNewTokens: number): Promise<unknown> | unknown;
  dispose(): Promise<void> | void;
}

async function loadTimedModel(engine: InferenceEngine, dir: string, threads?: number): Promise<TimedModel> {
  if (engine === 'onnx') {
    const model = await loadOnnxBackbone(dir, { threads });
    return {
      hiddenStates: (ids) => model.runBackbone(ids),
      generate: (ids, n) => model.generateIds(ids, { maxNewTokens: n, stopAtEndOfText: false }),
      dispose: () => model.dispose(),
    };
  }
  const model = await loadPretrainedModel(dir);
  return {
    hiddenStates: (ids) => model.hiddenStates(ids),
    generate: (ids, n) => model.generateIds(ids, { maxNewTokens: n, stopAtEndOfText: false }),
    dispose: () => model.dispose(),
  };
}

/** The figures measured on a loaded model. */
export type MeasuredFigures = Omit<PretrainedBenchResult, 'model' | 'shape' | 'parameters' | 'checkpoint_mb' | 'import_s'>;

/** Write a random checkpoint of the model's shape into `work` and import it. */
export function preparePretrainedBench(model: PretrainedBenchModel, work: string, shape?: BertShape | Gpt2Shape, log: (line: string) => void = () => undefined): PreparedBenchModel {
  const hfDir = join(work, 'hf');
  const generates = model === 'gpt2';
  const chosen = shape ?? (generates ? GPT2_SMALL : model === 'bert' ? BERT_BASE : DUET_DEFAULT_SIZE);
  const name = { bert: 'bert-base-shaped', gpt2: 'gpt2-small-shaped', small: 'duet-default-sized (2 layers, 128 wide)' }[model];
  log(`${name}: writing a random checkpoint`);
  if (generates) writeRandomGpt2(hfDir, chosen as Gpt2Shape);
  else writeRandomBert(hfDir, chosen as BertShape);
  log(`${name}: importing`);
  const imported = importCheckpoint(hfDir, join(work, 'duet'));
  return {
    model: name,
    shape: chosen,
    generates,
    parameters: imported.parameters,
    checkpoint_mb: round(statSync(join(hfDir, 'model.safetensors')).size / MB),
    import_s: round(imported.seconds, 2),
    modelDir: imported.outDir,
  };
}

/** Load an imported model and time it; run it in a fresh process for memory figures of its own. */
export async function measurePretrainedModel(prepared: PreparedBenchModel, options: MeasureOptions): Promise<MeasuredFigures> {
  const log = options.log ?? (() => undefined);
  const engine = options.engine ?? 'tfjs';
  log(`${prepared.model}: loading (${engine})`);
  let started = performance.now();
  const model = await loadTimedModel(engine, prepared.modelDir, options.threads);
  const loadSeconds = (performance.now() - started) / 1000;
  // Reading the file leaves transient copies behind; with --expose-gc, measure what stays.
  (globalThis as { gc?: () => void }).gc?.();
  const rss = process.memoryUsage().rss;
  const tfjsBytes = () => (engine === 'tfjs' ? tensorMemory().numBytes : 0);
  const tensorBytes = tfjsBytes();

  log(`${prepared.model}: encoder latency (${engine})`);
  const ids = Array.from({ length: options.tokens }, (_, i) => (1000 + 37 * i) % prepared.shape.vocab);
  const times: number[] = [];
  for (let run = -2; run < options.runs; run++) {
    started = performance.now();
    await model.hiddenStates(ids);
    if (run >= 0) times.push(performance.now() - started);
  }
  const result: MeasuredFigures = {
    engine,
    ...(engine === 'onnx' ? { threads: options.threads ?? 1 } : {}),
    load_s: round(loadSeconds, 2),
    rss_mb: round(rss / MB),
    tensor_mb: round(tensorBytes / MB),
    utterance_tokens: options.tokens,
    utterance_p50_ms: round(median(times), 1),
    utterance_mean_ms: round(times.reduce((a, b) => a + b, 0) / times.length, 1),
    rss_after_mb: 0,
    tensor_after_mb: 0,
  };
  if (prepared.generates) {
    log(`${prepared.model}: generating ${options.newTokens} tokens`);
    const generate = async (n: number) => {
      const t0 = performance.now();
      await model.generate(ids, n);
      return performance.now() - t0;
    };
    await generate(2); // warm-up (also builds the transposed output table, or the onnx engine's cached graph)
    // Medians of a few runs: one run each let a busy machine make the difference negative.
    const medianOf = async (n: number) => {
      const runs: number[] = [];
      for (let i = 0; i < GENERATION_REPEATS; i++) runs.push(await generate(n));
      return median(runs);
    };
    const first = await medianOf(1);
    const all = await medianOf(options.newTokens + 1);
    const perToken = (all - first) / options.newTokens;
    Object.assign(result, {
      new_tokens: options.newTokens,
      prefill_ms: round(first, 1),
      per_token_ms: round(perToken, 2),
      tokens_per_s: round(1000 / perToken, 1),
    });
  }
  result.rss_after_mb = round(process.memoryUsage().rss / MB);
  result.tensor_after_mb = round(tfjsBytes() / MB);
  await model.dispose();
  return result;
}

/** Prepare and measure one model shape in this process. */
export async function runPretrainedBench(options: PretrainedBenchOptions): Promise<PretrainedBenchResult> {
  const work = mkdtempSync(join(tmpdir(), 'duet-bench-pretrained-'));
  try {
    const prepared = preparePretrainedBench(options.model, work, options.shape, options.log);
    return resultOf(prepared, await measurePretrainedModel(prepared, options));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** One result row from the two halves. */
export function resultOf(prepared: PreparedBenchModel, measured: MeasuredFigures): PretrainedBenchResult {
  const { modelDir: _modelDir, generates: _generates, model, ...reported } = prepared;
  const { engine, ...figures } = measured;
  return { model, engine, ...reported, ...figures };
}

function round(x: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
