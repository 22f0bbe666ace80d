/** `duet import`, `duet inspect`, `duet generate` and `duet bench pretrained`. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { importCheckpoint } from '../import/import-checkpoint.js';
import type { InferenceEngine, MeasuredFigures, PreparedBenchModel, PretrainedBenchModel, PretrainedBenchResult } from '../bench/pretrained-bench.js';

export interface ImportCommandOptions {
  out: string;
  dtype: 'f32' | 'f16';
  json?: boolean;
}

/** `duet import`: the stages on stderr, then a one-line summary (or the JSON report). */
export function runImport(hfDir: string, opts: ImportCommandOptions): void {
  const report = importCheckpoint(hfDir, opts.out, {
    dtype: opts.dtype === 'f16' ? 'F16' : 'F32',
    onStage: opts.json ? undefined : (stage) => process.stderr.write(`${stage}\n`),
  });
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const skipped = report.ignoredTensors.length ? `; skipped ${report.ignoredTensors.length} unused tensors (${report.ignoredTensors.join(', ')})` : '';
  process.stdout.write(
    `Imported ${report.architecture} (${report.family}, ${formatCount(report.parameters)} parameters, heads: ${report.heads.join(', ') || 'none'}) ` +
      `into ${report.outDir} in ${report.seconds.toFixed(1)} s${skipped}\n`,
  );
}

export interface InspectCommandOptions {
  ids?: number[];
  text?: string;
  segments?: number[];
  json?: boolean;
  /** tfjs (default) or onnx (onnxruntime-node on the exported graph). */
  engine?: 'tfjs' | 'onnx';
}

/** `duet inspect`: the backbone's and pretrained heads' outputs for one sequence, as JSON or a table. */
export async function runInspect(modelDir: string, opts: InspectCommandOptions): Promise<void> {
  if ((opts.ids === undefined) === (opts.text === undefined)) throw new ConfigError('give exactly one of --ids and --text');
  let model;
  if (opts.engine === 'onnx') {
    const { loadOnnxBackbone } = await import('../model/onnx/onnx-backbone.js');
    model = await loadOnnxBackbone(modelDir, { warm: 'inspect' });
  } else {
    const { loadPretrainedModel } = await import('../model/pretrained-model.js');
    model = await loadPretrainedModel(modelDir);
  }
  try {
    if (model.usesWordFeatures) {
      process.stderr.write('note: this model adds hashed word features to its token embeddings in training; inspect runs the backbone on the ids alone\n');
    }
    const ids = opts.ids ?? (await model.encodeText(opts.text as string));
    const out = await model.run(ids, opts.segments);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(out)}\n`);
      return;
    }
    const [T, C] = [out.last_hidden_state.length, out.last_hidden_state[0].length];
    const lines = [`tokens ${T}, width ${C}${model.metadata.pretrained ? ` (${model.metadata.pretrained.family})` : ''}`];
    if (out.pooled) lines.push(`pooled: [${out.pooled.slice(0, 4).map((v) => v.toFixed(4)).join(', ')}, …]`);
    for (let t = 0; t < T; t++) {
      const token = model.tokenizer.idToToken(ids[t]) ?? String(ids[t]);
      let line = `${String(t).padStart(3)} ${JSON.stringify(token).padEnd(16)} hidden[0..3] ${out.last_hidden_state[t].slice(0, 3).map((v) => v.toFixed(4)).join(' ')}`;
      if (out.logits) {
        const row = out.logits[t];
        let best = 0;
        for (let v = 1; v < row.length; v++) if (row[v] > row[best]) best = v;
        const label = model.metadata.pretrained?.heads.maskedLm ? 'fills' : 'next';
        line += `  ${label} ${JSON.stringify(model.tokenizer.idToToken(best) ?? String(best))}`;
      }
      lines.push(line);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await model.dispose();
  }
}

export interface ExportOnnxCommandOptions {
  out: string;
  /** Add the masked-LM or next-token logits as an output. */
  logits?: boolean;
  /** Keys and values of earlier positions as inputs and outputs (GPT-2, incremental decoding). */
  cache?: boolean;
}

/** `duet export-onnx`: write a model folder's backbone (and pretrained heads) as an ONNX file. */
export async function runExportOnnx(modelDir: string, opts: ExportOnnxCommandOptions): Promise<void> {
  const { exportModelFolder } = await import('../model/onnx/export-backbone.js');
  const { bytes, outputs, inputs } = exportModelFolder(modelDir, { logits: opts.logits ? (opts.cache ? 'last' : 'all') : 'none', cache: opts.cache });
  writeFileSync(opts.out, bytes);
  process.stdout.write(`Wrote ${opts.out} (${(bytes.length / 1024 / 1024).toFixed(1)} MB, ONNX opset 17): inputs ${inputs.join(', ')}; outputs ${outputs.join(', ')}\n`);
}

export interface GenerateCommandOptions {
  maxTokens: number;
  topK: number;
  /** Nucleus sampling (0 < p ≤ 1; 1 = off). */
  topP?: number;
  temperature: number;
  /** CTRL repetition penalty (1 = off). */
  repetitionPenalty?: number;
  seed: number;
  json?: boolean;
  /** tfjs (default) or onnx. */
  engine?: 'tfjs' | 'onnx';
}

/** `duet generate`: the prompt followed by its continuation (or JSON with the ids and timing). */
export async function runGenerate(modelDir: string, prompt: string, opts: GenerateCommandOptions): Promise<void> {
  let model;
  if (opts.engine === 'onnx') {
    const { loadOnnxBackbone } = await import('../model/onnx/onnx-backbone.js');
    model = await loadOnnxBackbone(modelDir, { warm: 'none' });
  } else {
    const { loadPretrainedModel } = await import('../model/pretrained-model.js');
    model = await loadPretrainedModel(modelDir);
  }
  try {
    const started = performance.now();
    const result = await model.generate(prompt, {
      maxNewTokens: opts.maxTokens,
      topK: opts.topK,
      topP: opts.topP,
      temperature: opts.temperature,
      repetitionPenalty: opts.repetitionPenalty,
      seed: opts.seed,
    });
    const seconds = (performance.now() - started) / 1000;
    if (opts.json) process.stdout.write(`${JSON.stringify({ prompt, ...result, seconds })}\n`);
    else process.stdout.write(`${prompt}${result.text}\n`);
  } finally {
    await model.dispose();
  }
}

export interface PretrainedBenchCommandOptions {
  models: string;
  /** Comma-separated engines to measure each model with (tfjs, onnx). */
  engines: string;
  /** onnxruntime's intra-op threads for the onnx engine. */
  threads: number;
  tokens: number;
  newTokens: number;
  runs: number;
  json?: string;
  inProcess?: boolean;
  /** Internal: measure the prepared model described in this JSON file (the child process's job). */
  measure?: string;
}

/**
 * Each model is loaded and timed in a fresh process by default, so its memory figures are its own:
 * WebAssembly memory only grows, and writing and importing the checkpoint leave transient copies.
 */
export async function runPretrainedBenchCommand(opts: PretrainedBenchCommandOptions, machine: string): Promise<void> {
  const bench = await import('../bench/pretrained-bench.js');
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const settings = { tokens: opts.tokens, newTokens: opts.newTokens, runs: opts.runs, threads: opts.threads, log };
  const engines = opts.engines.split(',').map((e) => e.trim()) as InferenceEngine[];
  const unknownEngine = engines.find((e) => !bench.INFERENCE_ENGINES.includes(e));
  if (unknownEngine) throw new ConfigError(`unknown engine "${unknownEngine}" (choose from ${bench.INFERENCE_ENGINES.join(', ')})`);
  if (opts.measure) {
    const prepared = JSON.parse(readFileSync(opts.measure, 'utf8')) as PreparedBenchModel;
    const measured = await bench.measurePretrainedModel(prepared, { ...settings, engine: engines[0] });
    writeFileSync(opts.json ?? `${opts.measure}.out`, JSON.stringify(measured));
    return;
  }
  const models = opts.models.split(',').map((m) => m.trim()) as PretrainedBenchModel[];
  const unknown = models.find((m) => !bench.PRETRAINED_BENCH_MODELS.includes(m));
  if (unknown) throw new ConfigError(`unknown model "${unknown}" (choose from ${bench.PRETRAINED_BENCH_MODELS.join(', ')})`);
  const results: PretrainedBenchResult[] = [];
  // Latencies depend on what else runs on the machine; record how busy it was.
  const loadAverage = Math.round(loadavg()[0] * 100) / 100;
  for (const model of models) {
    if (opts.inProcess) {
      for (const engine of engines) results.push(await bench.runPretrainedBench({ model, engine, ...settings }));
      continue;
    }
    const work = mkdtempSync(join(tmpdir(), 'duet-bench-pretrained-'));
    try {
      const prepared = bench.preparePretrainedBench(model, work, undefined, log);
      const preparedFile = join(work, 'prepared.json');
      writeFileSync(preparedFile, JSON.stringify(prepared));
      // One fresh process per engine too: each one's memory figures are its own.
      for (const engine of engines) {
        const measuredFile = join(work, `measured-${engine}.json`);
        const args = ['bench', 'pretrained', '--measure', preparedFile, '--engines', engine, '--threads', String(opts.threads), '--json', measuredFile, '--tokens', String(opts.tokens), '--new-tokens', String(opts.newTokens), '--runs', String(opts.runs)];
        const child = spawnSync(process.execPath, [...process.execArgv, '--expose-gc', process.argv[1], ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
        if (child.status !== 0) throw new ConfigError(`measuring ${prepared.model} with ${engine} failed (exit code ${String(child.status)})`);
        results.push(bench.resultOf(prepared, JSON.parse(readFileSync(measuredFile, 'utf8')) as MeasuredFigures));
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  const output = { machine, date: new Date().toISOString(), load_average_1m: loadAverage, results };
  if (opts.json) writeFileSync(opts.json, `${JSON.stringify(output, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
}

function formatCount(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : `${(n / 1e3).toFixed(1)}k`;
}
