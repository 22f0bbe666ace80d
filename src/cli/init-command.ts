/** `duet init <dir>`: a new assistant project, copied from the demo assistant. */
import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { demoDefinitionPath } from './chat-command.js';

const PROJECT_README = (name: string) => `# ${name}

A Duet assistant, started from the Duet demo (reminders, lists, timers, calculator, units, clock,
small talk). Edit the YAML files, then:

\`\`\`sh
npx duet chat --model model                    # chat with the model trained from these files
npx duet train . --out model                   # retrain after editing the definition
npx duet test tests/conversations --model model  # run the conversation tests
npx duet chat --model model --jsonl --now 2026-11-25T10:00:00Z < turns.jsonl  # scripted
\`\`\`

The definition format is described in Duet's docs/assistant-definition.md; intents bind to
built-in skills with \`skill:\`; conversation tests are described in docs/conversation-tests.md.
`;

const SAMPLE_TEST = `# Conversation tests: run with \`npx duet test tests/conversations --model model\`.
now: 2026-11-25T10:00:00Z
tz: Europe/London
conversations:
  - name: a reminder in one turn
    turns:
      - user: remind me to call mom tomorrow at 5pm
        action: { skill: reminders.create, status: done }
    state:
      reminders: [call mom]
  - name: a list item
    turns:
      - user: add milk to my shopping list
        action: { skill: todos.add, status: done }
    state:
      lists: { shopping: [milk] }
`;

/** Creates the project folder; refuses a non-empty one so nothing is overwritten. */
export function initProject(dir: string, log: (line: string) => void): void {
  const target = resolve(dir);
  if (existsSync(target) && readdirSync(target).length > 0) {
    throw new ConfigError(`${target} is not empty; choose a new folder for the assistant project.`);
  }
  mkdirSync(target, { recursive: true });
  const demo = demoDefinitionPath();
  for (const file of readdirSync(demo)) {
    if (/\.ya?ml$/.test(file) || file === 'model') cpSync(join(demo, file), join(target, file), { recursive: true });
  }
  mkdirSync(join(target, 'tests', 'conversations'), { recursive: true });
  writeFileSync(join(target, 'tests', 'conversations', 'basics.yml'), SAMPLE_TEST);
  writeFileSync(join(target, 'README.md'), PROJECT_README(basename(target)));
  log(`Created ${target}: definition, trained model, a conversation test and a README.`);
  log(`Next: cd ${dir} && npx duet chat --model model`);
}
