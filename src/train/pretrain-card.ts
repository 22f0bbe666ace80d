/** MODEL_CARD.md of a pretrained backbone: data and licences, objectives, size, compute, losses, how to reproduce. */
import type { PretrainingSource } from '../data/corpora/pretraining.js';
import type { BackboneConfig } from '../model/config.js';
import type { Objective } from './pretrain-batches.js';

export interface ModelCardInfo {
  backbone: BackboneConfig;
  parameters: number;
  sources: PretrainingSource[];
  texts: number;
  pairs: number;
  streamTokens: number;
  objectives: Objective[];
  step: number;
  totalSteps: number;
  finished: boolean;
  batchSize: number;
  learningRate: number;
  warmupSteps: number;
  rankingScale: number;
  maskRate: number;
  /** Epochs over each objective's data so far. */
  epochs: Partial<Record<Objective, number>>;
  /** Mean losses over the last logged steps, and over how many. */
  finalLosses: Partial<Record<Objective, number>>;
  finalLossSteps: number;
  trainingMinutes: number;
  sessions: number;
  machine: string;
  stepsPerSecond: number;
  command: string;
}

const OBJECTIVE_TEXT: Record<Objective, (info: ModelCardInfo) => string> = {
  mlm: (info) =>
    `masked-token prediction (bidirectional attention; ${Math.round(info.maskRate * 100)}% of tokens chosen, of them 80% [MASK], 10% a random token, 10% unchanged) through the masked-LM head`,
  lm: () => 'next-token prediction (the same backbone under a causal attention mask) through the language-model head, tied to the token embeddings',
  rank: (info) =>
    `response ranking: context and response encoded separately (bidirectional), mean-pooled over real tokens, cosine similarity × ${info.rankingScale}, softmax over the batch's responses (in-batch negatives; identical responses are not counted as negatives)`,
};

/** Obligations the data's licences put on the weights, read from the licence names. */
export function licenceNotes(sources: PretrainingSource[]): string[] {
  const used = sources.filter((s) => s.texts + s.pairs > 0);
  const notes: string[] = [];
  const nonCommercial = used.filter((s) => /\bNC\b|non-?commercial/i.test(s.licence));
  const shareAlike = used.filter((s) => /\bSA\b|share-?alike/i.test(s.licence));
  if (nonCommercial.length > 0) {
    notes.push(`**Non-commercial use only** while trained on ${nonCommercial.map((s) => `${s.name} (${s.licence})`).join(', ')}; retrain without ${nonCommercial.length > 1 ? 'them' : 'it'} for commercial use.`);
  }
  if (shareAlike.length > 0) notes.push(`**Share-alike**: ${shareAlike.map((s) => `${s.name} (${s.licence})`).join(', ')} — distribute the weights under the same terms.`);
  if (used.some((s) => /\bBY\b/i.test(s.licence))) notes.push('**Attribution**: credit the sources listed above when you distribute the weights.');
  const unstated = used.filter((s) => /not stated|research/i.test(s.licence));
  if (unstated.length > 0) {
    notes.push(`**No licence stated** for ${unstated.map((s) => s.name).join(', ')} (research use; see their SOURCE.md): check their terms before any other use.`);
  }
  return notes;
}

export function renderModelCard(info: ModelCardInfo): string {
  const b = info.backbone;
  const fmt = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(3));
  const rows = info.sources.map((s) => `| ${s.name} | ${s.texts.toLocaleString('en')} | ${s.pairs.toLocaleString('en')} | ${s.licence} |`);
  const notes = licenceNotes(info.sources);
  const status = info.finished ? `finished: ${info.step.toLocaleString('en')} steps` : `in progress: ${info.step.toLocaleString('en')} of ${info.totalSteps.toLocaleString('en')} steps`;
  return [
    '# Duet pretrained backbone',
    '',
    `A BERT-style encoder (${b.nLayers} layers, width ${b.dModel}, ${b.nHeads} heads, feed-forward ${b.dFF}, ${b.maxPositions} positions, ` +
      `${b.vocabSize.toLocaleString('en')}-token WordPiece vocabulary; ${(info.parameters / 1e6).toFixed(2)}M parameters) pretrained with \`duet pretrain\` ` +
      `on public dialogue corpora, ${status}.`,
    '',
    '## Use',
    '',
    '- Fine-tune an assistant on it: `duet train <definition> --base <this folder> --out <model>`',
    '- Continue a text: `duet generate <this folder> "how are you ?"` (a prompt ending in `[SEP]` asks for the next turn)',
    '- Look inside: `duet inspect <this folder> --text "book a table for two"` (masked-LM predictions per token)',
    '',
    'Files: `config.json`, `model.safetensors` (half precision), `tokenizer.json` and this card are the model. ' +
      '`training-state.safetensors` (full-precision weights and Adam moments) and `losses.jsonl` are only needed to continue the run with `--resume`.',
    '',
    '## Data',
    '',
    `Training splits only. ${info.texts.toLocaleString('en')} texts (${info.streamTokens.toLocaleString('en')} tokens) for the language-model objectives, ` +
      `${info.pairs.toLocaleString('en')} (context, response) pairs for ranking.`,
    '',
    '| source | texts | pairs | licence |',
    '| --- | ---: | ---: | --- |',
    ...rows,
    '',
    ...(notes.length > 0 ? ['### Licence of the weights', '', ...notes.map((n) => `- ${n}`), ''] : []),
    '## Objectives',
    '',
    'One network, three objectives (UniLM-style: the attention mask decides how the backbone reads). ' +
      'Every step computes each objective on its own batch and takes one Adam step on the sum of the losses.',
    '',
    ...info.objectives.map((o) => `- **${o}**: ${OBJECTIVE_TEXT[o](info)}`),
    '',
    `Batch ${info.batchSize} per objective; sequences packed to ${b.maxPositions} tokens; AdamW (weight decay 0.01, gradient clipping at norm 1), ` +
      `peak learning rate ${info.learningRate} after ${info.warmupSteps} warm-up steps, cosine decay to a tenth of it at step ${info.totalSteps}; dropout ${b.dropout}.`,
    `Epochs over the data so far: ${Object.entries(info.epochs).map(([o, e]) => `${o} ${(e as number).toFixed(2)}`).join(', ')}.`,
    '',
    '## Results',
    '',
    `Mean loss over the last ${info.finalLossSteps} steps: ${info.objectives.map((o) => `${o} ${fmt(info.finalLosses[o])}`).join(', ')}.`,
    '',
    '## Compute',
    '',
    `${info.trainingMinutes.toFixed(1)} minutes (wall clock, corpus preparation included) in ${info.sessions} session${info.sessions === 1 ? '' : 's'} on ${info.machine} ` +
      `(tfjs, WebAssembly backend, one thread), ${info.stepsPerSecond.toFixed(2)} steps/s in the last session.`,
    '',
    '## Reproduce',
    '',
    '```sh',
    info.command,
    '```',
    '',
    'The run can be split into sessions (`--max-minutes`, then the same command with `--resume`): data order, masking and dropout are functions of the seed and the step, so the result is the same.',
    '',
  ].join('\n');
}
