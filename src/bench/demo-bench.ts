/**
 * `duet bench demo`: the shipped demo assistant on the independent paraphrase set
 * (tests/paraphrases, never trained on): intent accuracy, exact slot-value match, and the
 * latency of a whole turn (understanding + skill + SQLite write). nlp.js is trained on the same
 * definition and scored on the same requests in the same run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { definitionToExamples, loadDefinition } from '../data/definition/index.js';
import type { AssistantDefinition, NluExample } from '../data/types.js';
import { Assistant, type Understander } from '../dialogue/assistant.js';
import { builtinSkills } from '../skills/index.js';
import type { SkillContext } from '../skills/types.js';
import type { TurnSlot } from '../dialogue/events.js';
import { readRequestSlots, slotTexts } from '../dialogue/slot-spans.js';
import { createMemoryStore } from '../store/memory-store.js';
import { openSqliteStore } from '../store/sqlite-store.js';
import { median } from '../nlu/evaluate-model.js';
import { trainNlpjs } from './peer-nlpjs.js';

export interface DemoBenchOptions {
  modelDir: string;
  paraphrases: string[];
  /** Clock and zone the slot values are resolved in (the set avoids clock-dependent requests). */
  now: Date;
  timeZone: string;
  peer: boolean;
  /** Model loader (kept injectable so the bench does not import the tensor layer eagerly). */
  load(dir: string): Promise<{ model: Understander & { dispose(): void }; definition: AssistantDefinition }>;
}

export interface DemoBenchResult {
  system: 'duet' | 'nlp.js';
  requests: number;
  intent_acc: number;
  /** Requests with slots (expected or predicted) whose every slot value matches. */
  slot_exact_match?: number;
  slot_requests?: number;
  turn_ms_p50?: number;
  turn_ms_p95?: number;
  train_s?: number;
  errors?: { text: string; expected: string; got: string; slots?: string }[];
}

/**
 * Slot values compared as the runtime reads them (a date as its instant, a quantity as number
 * and unit), else as normalised text. `gold` spans are the annotation; predicted ones go through
 * the same joining and fallbacks as in the dialogue manager.
 */
function slotValues(
  intent: string,
  utterance: string,
  spans: TurnSlot[],
  definition: AssistantDefinition,
  ctx: SkillContext,
): Record<string, string> {
  const skillName = definition.intents.find((i) => i.name === intent)?.skill;
  const skill = builtinSkills.find((s) => s.name === skillName);
  const out: Record<string, string> = {};
  if (skill) {
    // What the skill would receive; slots it does not declare are ignored by the runtime too.
    for (const reading of readRequestSlots(skill.slots, utterance, spans, ctx)) {
      out[reading.slot] = reading.ok ? JSON.stringify(reading.value) : `unreadable: ${normaliseText(utterance)}`;
    }
    return out;
  }
  // Intents without a skill (corrections): the marked text.
  for (const [slot, pieces] of slotTexts(utterance, spans)) out[slot] = normaliseText(pieces.join(' '));
  return out;
}

function normaliseText(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}%+\-*/.\s]/gu, ' ')
    .replace(/\b(the|a|an|my)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

export async function runDemoBench(options: DemoBenchOptions): Promise<DemoBenchResult[]> {
  const testDefinition = await loadDefinition(options.paraphrases);
  const requests: NluExample[] = definitionToExamples(testDefinition);
  const { model, definition } = await options.load(options.modelDir);
  const results: DemoBenchResult[] = [];
  const ctx: SkillContext = { user: 'bench', now: options.now, timeZone: options.timeZone, store: createMemoryStore().forUser('bench') };
  try {
    let intentHits = 0;
    let slotHits = 0;
    let slotRequests = 0;
    const errors: NonNullable<DemoBenchResult['errors']> = [];
    for (const request of requests) {
      const got = await model.understand(request.text);
      const gold = request.slots.map((s) => ({ slot: s.slot, value: s.value ?? '', text: request.text.slice(s.start, s.end), start: s.start, end: s.end }));
      const expectedSlots = slotValues(request.intent, request.text, gold, definition, ctx);
      const gotSlots = slotValues(request.intent, request.text, got.slots, definition, ctx);
      const intentOk = got.intent === request.intent;
      if (intentOk) intentHits++;
      let slotsOk = true;
      if (Object.keys(expectedSlots).length > 0 || Object.keys(gotSlots).length > 0) {
        slotRequests++;
        slotsOk = JSON.stringify(Object.entries(expectedSlots).sort()) === JSON.stringify(Object.entries(gotSlots).sort());
        if (slotsOk) slotHits++;
      }
      if (!intentOk || !slotsOk) {
        errors.push({
          text: request.text,
          expected: request.intent,
          got: got.intent,
          ...(!slotsOk && { slots: `expected ${JSON.stringify(expectedSlots)} got ${JSON.stringify(gotSlots)}` }),
        });
      }
    }
    // Whole turns through the runtime with a real SQLite store; each request opens a fresh
    // conversation so every turn does the full work of a first request.
    const dir = mkdtempSync(join(tmpdir(), 'duet-bench-'));
    const store = openSqliteStore(join(dir, 'bench.sqlite'));
    const times: number[] = [];
    try {
      const assistant = new Assistant({ understander: model, definition, skills: builtinSkills, store, timeZone: options.timeZone, now: () => options.now });
      for (const [i, request] of [...requests, ...requests].entries()) {
        const start = performance.now();
        await assistant.handle({ user: `u${i}`, text: request.text });
        times.push(performance.now() - start);
      }
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const warm = times.slice(requests.length);
    results.push({
      system: 'duet',
      requests: requests.length,
      intent_acc: intentHits / requests.length,
      slot_exact_match: slotHits / slotRequests,
      slot_requests: slotRequests,
      turn_ms_p50: median(warm),
      turn_ms_p95: percentile(warm, 0.95),
      errors,
    });
  } finally {
    model.dispose();
  }
  if (options.peer) {
    const trainExamples = definitionToExamples(definition);
    const peer = await trainNlpjs(trainExamples, { outOfScopeIntent: definition.outOfScopeIntent });
    let hits = 0;
    for (const request of requests) if ((await peer.predict(request.text)).intent === request.intent) hits++;
    results.push({ system: 'nlp.js', requests: requests.length, intent_acc: hits / requests.length, train_s: peer.trainSeconds });
  }
  return results;
}
