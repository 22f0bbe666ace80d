/**
 * Rewrites a model folder's assistant.json (the definition the runtime answers with) from the
 * definition's YAML, when only what the model does not learn changed: responses, response styles,
 * the persona. Refuses, and says to retrain, when intents, examples, slots or the out-of-scope
 * intent differ from what the model was trained on.
 *
 *   npx tsx tools/refresh-model-definition.mts [definition folder] [model folder]
 *
 * Defaults: examples/assistant and examples/assistant/model (the shipped demo).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDefinition } from '../src/data/definition/index.js';
import { trainedPartsDiffer } from '../src/data/definition/trained-parts.js';
import type { AssistantDefinition } from '../src/data/types.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const definitionDir = resolve(process.argv[2] ?? join(ROOT, 'examples', 'assistant'));
const modelDir = resolve(process.argv[3] ?? join(definitionDir, 'model'));
const file = join(modelDir, 'assistant.json');

const stored = JSON.parse(readFileSync(file, 'utf8')) as AssistantDefinition;
const current = await loadDefinition(definitionDir);
const difference = trainedPartsDiffer(stored, current);
if (difference) {
  console.error(`${file}: the model was trained on other ${difference}; retrain it (for the demo: npm run build:demo)`);
  process.exit(1);
}
// The same serialisation as `duet train` (src/cli/train-command.ts).
writeFileSync(file, JSON.stringify(current, null, 2));
console.log(`wrote ${file}`);
