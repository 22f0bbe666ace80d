/**
 * nlp.js (`node-nlp`) as the benchmark peer: the most used JavaScript NLU library, trained on
 * the same examples as Duet and asked the same questions. node-nlp is a devDependency, so it is
 * loaded on demand and only benchmarks need it.
 */
import { DuetError } from '../errors.js';
import type { NluExample } from '../data/types.js';

/** What the peer answers for one utterance. */
export interface PeerPrediction {
  intent: string;
  score: number;
}

/** A trained peer. */
export interface NlpjsPeer {
  predict(text: string): Promise<PeerPrediction>;
  /** Wall-clock seconds `train()` took. */
  trainSeconds: number;
}

/** Options for `trainNlpjs`. */
export interface NlpjsOptions {
  /** The dataset's out-of-scope label; nlp.js's `None` answer is reported as this label (else as `None`). */
  outOfScopeIntent?: string;
  /** Language code given to nlp.js (default `en`). */
  language?: string;
}

/** The part of node-nlp's untyped API used here. */
interface NlpManagerLike {
  container: { register(name: string, instance: unknown, isSingleton?: boolean): void };
  addDocument(locale: string, utterance: string, intent: string): void;
  train(): Promise<unknown>;
  process(locale: string, utterance: string): Promise<{ intent?: string; score?: number }>;
}

interface NodeNlpModule {
  NlpManager: new (settings: Record<string, unknown>) => NlpManagerLike;
}

/** The label nlp.js gives when no intent clears its threshold. */
export const NLPJS_NONE = 'None';

const noop = (): void => undefined;

/** A logger that drops everything: nlp.js otherwise prints warnings (e.g. stop-word-only utterances) to the console. */
const SILENT_LOGGER = { name: 'logger', debug: noop, info: noop, warn: noop, error: noop, log: noop, trace: noop, fatal: noop };

/** Load node-nlp at run time, with a message that says how to get it when it is missing. */
async function loadNodeNlp(): Promise<NodeNlpModule> {
  // A variable specifier keeps TypeScript from looking for types node-nlp does not ship.
  const specifier = 'node-nlp';
  try {
    const mod = (await import(specifier)) as Partial<NodeNlpModule> & { default?: Partial<NodeNlpModule> };
    const NlpManager = mod.NlpManager ?? mod.default?.NlpManager;
    if (!NlpManager) throw new Error('node-nlp has no NlpManager export');
    return { NlpManager };
  } catch (cause) {
    throw new DuetError(
      'PEER_UNAVAILABLE',
      'The nlp.js benchmark peer needs node-nlp, a devDependency: run `npm install` in the duet repository (without --omit=dev).',
      { cause },
    );
  }
}

/** Build an NlpManager that keeps its model in memory and prints nothing. */
function createManager(NlpManager: NodeNlpModule['NlpManager'], language: string): NlpManagerLike {
  const manager = new NlpManager({ languages: [language], forceNER: false, nlu: { log: false }, autoSave: false, autoLoad: false });
  manager.container.register('logger', SILENT_LOGGER, true);
  return manager;
}

/** Train nlp.js on every example (out-of-scope ones included, as their own intent) and return its predictor. */
export async function trainNlpjs(train: readonly NluExample[], opts: NlpjsOptions = {}): Promise<NlpjsPeer> {
  const { NlpManager } = await loadNodeNlp();
  const language = opts.language ?? 'en';
  const manager = createManager(NlpManager, language);
  for (const example of train) manager.addDocument(language, example.text, example.intent);
  const started = performance.now();
  await manager.train();
  const trainSeconds = (performance.now() - started) / 1000;
  const noneLabel = opts.outOfScopeIntent ?? NLPJS_NONE;
  return {
    trainSeconds,
    async predict(text: string): Promise<PeerPrediction> {
      const result = await manager.process(language, text);
      const intent = !result.intent || result.intent === NLPJS_NONE ? noneLabel : result.intent;
      return { intent, score: result.score ?? 0 };
    },
  };
}
