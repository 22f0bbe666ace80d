/** Resolve what `duet train` / `duet eval` were pointed at: a benchmark dataset name or definition files. */
import { existsSync } from 'node:fs';
import { DATASET_NAMES, isDatasetName, loadDataset } from '../data/datasets/index.js';
import { definitionToExamples, enumValueIndex, loadDefinition } from '../data/definition/index.js';
import type { AssistantDefinition, NluExample } from '../data/types.js';
import { DuetError } from '../errors.js';

export type SplitName = 'train' | 'validation' | 'test';

/** Examples to learn from (or evaluate on) and what the trainer needs to know about them. */
export interface TrainingData {
  source: string;
  train: NluExample[];
  validation: NluExample[];
  test: NluExample[];
  outOfScopeIntent?: string;
  hasSlots: boolean;
  /** Slot → lower-cased synonym → canonical value (enumerations of a definition). */
  slotValues: Record<string, Record<string, string>>;
  definition?: AssistantDefinition;
}

/** Load a dataset by name (`clinc150`…) or one or more definition files / folders. */
export async function loadTrainingData(target: string | string[]): Promise<TrainingData> {
  const targets = Array.isArray(target) ? target : [target];
  if (targets.length === 1 && isDatasetName(targets[0]) && !existsSync(targets[0])) {
    const dataset = loadDataset(targets[0]);
    return {
      source: dataset.name,
      ...dataset.splits,
      outOfScopeIntent: dataset.outOfScopeIntent,
      hasSlots: dataset.hasSlots,
      slotValues: {},
    };
  }
  for (const t of targets) {
    if (!existsSync(t)) {
      throw new DuetError(
        'INPUT_NOT_FOUND',
        `${t} is neither a file or folder nor a dataset name (datasets: ${DATASET_NAMES.join(', ')})`,
      );
    }
  }
  const definition = await loadDefinition(targets);
  const examples = definitionToExamples(definition);
  return {
    source: targets.join(','),
    // A definition has no fixed splits: training holds out its own validation examples.
    train: examples,
    validation: [],
    test: examples,
    outOfScopeIntent: definition.outOfScopeIntent,
    hasSlots: examples.some((e) => e.slots.length > 0),
    slotValues: enumValueIndex(definition),
    definition,
  };
}
