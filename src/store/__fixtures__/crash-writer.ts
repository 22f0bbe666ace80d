/**
 * A writer for the crash-safety test: opens a SQLite store through the `Assistant` with the demo
 * model, prints "ready", then handles turns that add reminders and list items, numbered from
 * <first>. Before each turn it prints "try <kind> <n>", after `handle()` returns "ack <kind> <n>".
 * It never stops by itself: the parent kills it with SIGKILL.
 *   crash-writer.ts <storePath> <user> <first>
 */
import { demoModelPath, loadAssistantModel } from '../../cli/chat-command.js';
import { Assistant } from '../../dialogue/assistant.js';
import { builtinSkills } from '../../skills/index.js';
import { openSqliteStore } from '../sqlite-store.js';
import { itemWord as word } from './crash-words.js';


const [storePath, user, first] = process.argv.slice(2);
const { model, definition } = await loadAssistantModel(demoModelPath());
const store = openSqliteStore(storePath);
const assistant = new Assistant({ understander: model, definition, skills: builtinSkills, store, timeZone: 'UTC', now: () => new Date('2026-11-25T10:00:00Z') });
process.stdout.write('ready\n');
for (let n = Number(first); ; n += 1) {
  const kind = n % 2 === 0 ? 'reminder' : 'item';
  const text = kind === 'reminder' ? `remind me to call ${word(n)} tomorrow at 5pm` : `add ${word(n)} to my shopping list`;
  process.stdout.write(`try ${kind} ${n}\n`);
  const result = await assistant.handle({ user, text });
  const status = result.action?.status;
  process.stdout.write(`ack ${kind} ${n} ${status ?? 'none'}\n`);
}
