/** `duet chat`: train (once) or load the assistant and talk to it in the terminal. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { packageRoot } from '../data/datasets/files.js';
import type { AssistantDefinition } from '../data/types.js';
import { respond } from '../dialogue/simple-responder.js';
import { MODEL_FORMAT_VERSION } from '../model/config.js';
import { loadModel, type DuetModel } from '../model/duet-model.js';
import { trainToFolder } from './train-command.js';

export interface ChatOptions {
  model?: string;
  definition?: string;
  debug?: boolean;
  retrain?: boolean;
}

/** The bundled demo assistant. */
export function demoDefinitionPath(): string {
  return join(packageRoot(), 'assistants', 'demo');
}

/** Model cache folder for a definition: a new definition text or model format gets a new folder. */
export function cachedModelDir(definitionPath: string): string {
  const hash = createHash('sha256').update(`format ${MODEL_FORMAT_VERSION}\n`);
  const files = statSync(definitionPath).isDirectory()
    ? readdirSync(definitionPath).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(definitionPath, f))
    : [definitionPath];
  for (const file of files) hash.update(readFileSync(file));
  return resolve('.duet', 'models', `assistant-${hash.digest('hex').slice(0, 12)}`);
}

/** A model folder with the definition it was trained on (`assistant.json`, written by `duet train`). */
async function loadAssistant(dir: string): Promise<{ model: DuetModel; definition: AssistantDefinition }> {
  const model = await loadModel(dir);
  const file = join(dir, 'assistant.json');
  const definition = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as AssistantDefinition)
    : { name: 'model', language: 'en', intents: [], slots: [], responses: {}, warnings: [] };
  return { model, definition };
}

async function trainOrLoad(options: ChatOptions): Promise<{ model: DuetModel; definition: AssistantDefinition }> {
  if (options.model) return loadAssistant(options.model);
  const definitionPath = options.definition ?? demoDefinitionPath();
  const dir = cachedModelDir(definitionPath);
  if (!options.retrain && existsSync(join(dir, 'config.json'))) {
    process.stderr.write(`Loading ${dir}\n`);
    return loadAssistant(dir);
  }
  process.stderr.write(`Training the assistant in ${definitionPath} (first run only; saved to ${dir})\n`);
  const { model, data } = await trainToFolder(definitionPath, { out: dir, seed: 42 });
  return { model, definition: data.definition as AssistantDefinition };
}

export async function runChat(options: ChatOptions): Promise<void> {
  const { model, definition } = await trainOrLoad(options);
  const interactive = Boolean(process.stdin.isTTY);
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: interactive });
  process.stdout.write(`${definition.name} is ready. Type a message (/debug toggles details, /quit or Ctrl-D ends).\n`);
  let debug = Boolean(options.debug);
  let turn = 0;
  rl.setPrompt('you> ');
  if (interactive) rl.prompt();
  for await (const line of rl) {
    const text = line.trim();
    if (text === '/quit' || text === '/exit') break;
    if (text === '/debug') {
      debug = !debug;
      process.stdout.write(`debug ${debug ? 'on' : 'off'}\n`);
    } else if (text) {
      const understood = await model.understand(text);
      if (!interactive) process.stdout.write(`you> ${text}\n`);
      process.stdout.write(`bot> ${respond(definition, understood, turn++)}\n`);
      if (debug) {
        const slots = understood.slots.map((s) => `${s.slot}=${JSON.stringify(s.value)}[${s.start},${s.end}]`).join(' ');
        process.stdout.write(`     intent ${understood.intent} (${(understood.confidence * 100).toFixed(1)}%) ${slots}\n`);
      }
    }
    if (interactive) rl.prompt();
  }
  rl.close();
  model.dispose();
}
