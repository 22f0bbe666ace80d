import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sgdTurnExamples } from '../data/sgd/examples.js';
import { loadSgd } from '../data/sgd/load-sgd.js';
import { chainedConversations, formatContextTable, latencyPlotSvg, type ContextBenchResult } from './context-bench.js';

const data = loadSgd('dev', { dataDir: join(import.meta.dirname, '..', 'data', 'sgd', '__fixtures__', 'data') });
const examples = sgdTurnExamples(data.dialogues);

describe('chainedConversations', () => {
  it('chains dialogues into conversations of exactly the asked length, each turn with everything said before it', () => {
    const conversations = chainedConversations(examples, 2, 40);
    expect(conversations).toHaveLength(2);
    for (const conversation of conversations) {
      expect(conversation).toHaveLength(40);
      // The history only grows, and every user turn before is in it.
      for (let i = 1; i < conversation.length; i++) {
        expect(conversation[i].history.length).toBeGreaterThan(conversation[i - 1].history.length);
        expect(conversation[i].history.filter((h) => h.speaker === 'USER').length).toBeGreaterThanOrEqual(i);
      }
    }
    // The first turns are the first dialogue's own.
    expect(conversations[0][0].utterance).toBe(examples[0].utterance);
    expect(conversations[0][0].history).toEqual(examples[0].history);
  });
});

const result: ContextBenchResult = {
  machine: 'test',
  date: '2026-11-26',
  partial_data_note: 'partial',
  results: [
    { mode: 'none', active_intent_acc: 0.5, requested_slot_f1: 0.9, slot_f1: 0.4, joint_goal_acc: 0.2, dev: { active_intent_acc: 0.5, requested_slot_f1: 0.9, slot_f1: 0.4, joint_goal_acc: 0.2 }, ms_per_turn: { '1': 2, '5': 2, '10': 2, '20': 2, '40': 2 }, ms_curve: Array(40).fill(2), peak_rss_mb: 300, state_bytes_at_turn_40: 0, train: null },
    { mode: 'concat', active_intent_acc: 0.6, requested_slot_f1: 0.9, slot_f1: 0.5, joint_goal_acc: 0.3, dev: { active_intent_acc: 0.6, requested_slot_f1: 0.9, slot_f1: 0.5, joint_goal_acc: 0.3 }, ms_per_turn: { '1': 2, '5': 4, '10': 6, '20': 6, '40': 6 }, ms_curve: Array.from({ length: 40 }, (_, i) => Math.min(6, 2 + i)), peak_rss_mb: 310, state_bytes_at_turn_40: 4000, train: null },
    { mode: 'nlp.js', active_intent_acc: 0.7, requested_slot_f1: null, slot_f1: null, joint_goal_acc: null, dev: { active_intent_acc: 0.7, requested_slot_f1: null, slot_f1: null, joint_goal_acc: null }, ms_per_turn: {}, ms_curve: [], peak_rss_mb: null, state_bytes_at_turn_40: null, train: null },
  ],
};

describe('the report', () => {
  it('prints one row per system with the partial-data note', () => {
    const table = formatContextTable(result);
    expect(table).toContain('partial');
    expect(table.split('\n')).toHaveLength(2 + result.results.length);
    expect(table).toMatch(/concat\s+\|\s+60\.0/);
    expect(table).toMatch(/nlp\.js\s+\|\s+70\.0 \|\s+– \|/);
  });

  it('plots one line per mode that was timed, with its label', () => {
    const svg = latencyPlotSvg(result);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('>concat<');
    expect(svg).not.toContain('>nlp.js<');
  });
});
