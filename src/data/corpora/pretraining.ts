/**
 * The pretraining corpus of the Duet backbone, built only from training material:
 * DailyDialog train (cleaned of everything that overlaps its validation/test), SGD train,
 * Topical-Chat valid_* (the only Topical-Chat text that may be trained on: its test_* are for
 * reporting), Microsoft chit-chat, the ChatterBot corpus, and the train text of the NLU
 * benchmarks. No test split contributes text. DailyDialog's validation and test are read only
 * to find and drop the train dialogues that overlap them.
 */
import { loadDataset, type LoadOptions } from '../datasets/index.js';
import { createRng, shuffle } from '../../util/random.js';
import { CHATTERBOT_LICENCE, loadChatterbot } from './chatterbot.js';
import { DAILYDIALOG_LICENCE, loadDailyDialog } from './dailydialog.js';
import { MICROSOFT_CHITCHAT_LICENCE, loadMicrosoftChitchat } from './microsoft-chitchat.js';
import { SGD_LICENCE, loadSgdDialogues } from './sgd.js';
import { TOPICAL_CHAT_LICENCE, loadTopicalChat } from './topical-chat.js';

/** Options of `loadPretrainingCorpus`. */
export interface PretrainingCorpusOptions {
  /** Folder holding one sub-folder per dataset; overrides `DUET_DATA_DIR` and the default. */
  dataDir?: string;
  /** Keep at most this many (context, response) pairs, a seeded uniform sample in corpus order. */
  maxPairs?: number;
  /** Seed of the sample taken when `maxPairs` is set (default 0). */
  seed?: number;
}

/** One (context, response) pair: `context` holds the earlier turns, oldest first (at most 3). */
export interface PretrainingPair {
  context: string[];
  response: string;
  source: string;
}

/** What each source contributed, with the licence that travels with a model trained on it. */
export interface PretrainingSource {
  name: string;
  licence: string;
  texts: number;
  pairs: number;
}

/** The pretraining corpus: free texts, dialogue pairs and a per-source summary. */
export interface PretrainingCorpus {
  /** Every distinct utterance of every source (dialogue turns, questions, answers, NLU train text). */
  texts: string[];
  pairs: PretrainingPair[];
  sources: PretrainingSource[];
}

/** How many earlier turns a pair's context keeps. */
export const MAX_CONTEXT_TURNS = 3;

/** NLU benchmarks whose train text joins the corpus (texts only), with their licences. */
const NLU_SOURCES = [
  { name: 'clinc150', licence: 'CC BY 3.0' },
  { name: 'snips', licence: 'not stated (research use; see snips/SOURCE.md)' },
  { name: 'atis', licence: 'not stated (derived from LDC corpora, research use; see atis/SOURCE.md)' },
  { name: 'banking77', licence: 'CC BY 4.0' },
  { name: 'hwu64', licence: 'CC BY 4.0' },
] as const;

/** One pair per turn after the first: the turn is the response, up to `maxContext` turns before it the context. */
export function dialoguePairs(turns: string[], source: string, maxContext = MAX_CONTEXT_TURNS): PretrainingPair[] {
  const pairs: PretrainingPair[] = [];
  for (let i = 1; i < turns.length; i++) pairs.push({ context: turns.slice(Math.max(0, i - maxContext), i), response: turns[i], source });
  return pairs;
}

/** A seeded uniform sample of `max` items (all of them when there are fewer), kept in their original order. */
export function sampleInOrder<T>(items: T[], max: number, seed: number): T[] {
  if (max >= items.length) return items.slice();
  const keep = shuffle(
    items.map((_, i) => i),
    createRng(seed),
  )
    .slice(0, Math.max(0, max))
    .sort((a, b) => a - b);
  return keep.map((i) => items[i]);
}

/** Accumulates one source's distinct texts and its pairs. */
class SourceBuilder {
  readonly texts = new Set<string>();
  readonly pairs: PretrainingPair[] = [];
  constructor(
    readonly name: string,
    readonly licence: string,
  ) {}

  addDialogue(turns: string[]): void {
    for (const turn of turns) this.texts.add(turn);
    this.pairs.push(...dialoguePairs(turns, this.name));
  }

  addTexts(texts: Iterable<string>): void {
    for (const text of texts) if (text) this.texts.add(text);
  }
}

/** Load the pretraining corpus (training material only; see the module comment). */
export function loadPretrainingCorpus(options: PretrainingCorpusOptions = {}): PretrainingCorpus {
  const load: LoadOptions = options.dataDir ? { dataDir: options.dataDir } : {};
  const builders: SourceBuilder[] = [];
  const source = (name: string, licence: string) => {
    const builder = new SourceBuilder(name, licence);
    builders.push(builder);
    return builder;
  };

  const dailydialog = source('dailydialog', DAILYDIALOG_LICENCE);
  for (const dialogue of loadDailyDialog(load).train) dailydialog.addDialogue(dialogue);

  const sgd = source('sgd', SGD_LICENCE);
  for (const dialogue of loadSgdDialogues('train', load)) sgd.addDialogue(dialogue.turns.map((t) => t.text));

  const topical = source('topical-chat', TOPICAL_CHAT_LICENCE);
  for (const split of ['valid_freq', 'valid_rare'] as const) {
    for (const conversation of loadTopicalChat(split, load)) topical.addDialogue(conversation.turns.map((t) => t.text));
  }

  const chitchat = source('microsoft-chitchat', MICROSOFT_CHITCHAT_LICENCE);
  const qa = loadMicrosoftChitchat(load);
  for (const { question, answer } of qa.pairs) {
    chitchat.addTexts([question, answer]);
    chitchat.pairs.push({ context: [question], response: answer, source: chitchat.name });
  }
  chitchat.addTexts(qa.responses);

  const chatterbot = source('chatterbot-corpus', CHATTERBOT_LICENCE);
  for (const conversation of loadChatterbot(load)) chatterbot.addDialogue(conversation);

  for (const { name, licence } of NLU_SOURCES) {
    // The loaders parse every split; only train is used.
    source(name, licence).addTexts(loadDataset(name, load).splits.train.map((e) => e.text));
  }

  const all = builders.flatMap((b) => b.pairs);
  const pairs = options.maxPairs === undefined ? all : sampleInOrder(all, options.maxPairs, options.seed ?? 0);
  const pairCounts = new Map<string, number>();
  for (const pair of pairs) pairCounts.set(pair.source, (pairCounts.get(pair.source) ?? 0) + 1);

  const texts = new Set<string>();
  for (const builder of builders) for (const text of builder.texts) texts.add(text);
  return {
    texts: [...texts],
    pairs,
    sources: builders.map((b) => ({ name: b.name, licence: b.licence, texts: b.texts.size, pairs: pairCounts.get(b.name) ?? 0 })),
  };
}
