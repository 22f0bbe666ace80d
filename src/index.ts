/** Duet's public API. */
export { loadModel, DuetModel, OUT_OF_SCOPE, type Understanding, type ExtractedSlot, type RankedIntent } from './model/duet-model.js';
export { trainNluModel, DEFAULT_TRAIN_OPTIONS, type TrainOptions, type TrainReport, type TrainProgress } from './train/train-nlu.js';
export { resolveBackboneConfig, resolveHeadConfig, type BackboneConfig, type HeadConfig, type ModelConfig } from './model/config.js';
export { loadDefinition, parseDefinition, importRasa, definitionToExamples } from './data/definition/index.js';
export { loadDataset, DATASET_NAMES } from './data/datasets/index.js';
export { evaluateNlu, type EvaluationReport } from './eval/metrics.js';
export { loadTrainingData, type TrainingData } from './nlu/training-data.js';
export { DuetError, DefinitionError, ModelLoadError, DatasetError, ConfigError } from './errors.js';
export type { AssistantDefinition, NluExample, SlotSpan, NluDataset } from './data/types.js';
export { Assistant, type AssistantOptions, type Understander, type TurnResult, type ActionReport, type ActionStatus } from './dialogue/assistant.js';
export { replay, type ConversationEvent, type ConversationState } from './dialogue/events.js';
export { loadConversationTests, runConversationTest, type ConversationTest } from './dialogue/conversation-tests.js';
export { builtinSkills } from './skills/index.js';
export type { Skill, SkillContext, SkillSlot, SkillOutcome, Parsed, ArgumentProblem } from './skills/types.js';
export { openSqliteStore, createMemoryStore } from './store/index.js';
export type { Store, UserStore, Reminder, ListItem, Timer, DueNotice } from './store/types.js';
export { StoreError } from './errors.js';
