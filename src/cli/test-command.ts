/** `duet test [paths...]`: run conversation tests (YAML) against an assistant. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { styleText } from 'node:util';
import { Assistant } from '../dialogue/assistant.js';
import { loadConversationTests, runConversationTest, type ConversationOutcome, type TestHarness } from '../dialogue/conversation-tests.js';
import { builtinSkills } from '../skills/index.js';
import { openSqliteStore } from '../store/sqlite-store.js';
import { describeNotice, demoModelPath, loadAssistantModel, parseNow } from './chat-command.js';

export interface TestCommandOptions {
  model?: string;
  json?: string;
  verbose?: boolean;
}

/** Runs every conversation; returns the outcomes (the CLI sets a failing exit code). */
export async function runConversationTests(paths: string[], options: TestCommandOptions): Promise<ConversationOutcome[]> {
  const tests = loadConversationTests(paths);
  const { model, definition } = await loadAssistantModel(options.model ?? demoModelPath());
  const scratch = mkdtempSync(join(tmpdir(), 'duet-test-'));
  const outcomes: ConversationOutcome[] = [];
  const color = Boolean(process.stdout.isTTY);
  const paint = (format: Parameters<typeof styleText>[0], text: string) => (color ? styleText(format, text) : text);
  try {
    for (const [index, test] of tests.entries()) {
      // A fresh SQLite file per conversation: tests never see each other's data.
      const makeHarness = (tz: string, start: Date): TestHarness => {
        const store = openSqliteStore(join(scratch, `conversation-${index}.sqlite`));
        let now = start;
        const assistant = new Assistant({ understander: model, definition, skills: builtinSkills, store, timeZone: tz, now: () => now });
        return { assistant, store, setNow: (d) => (now = d), close: () => store.close() };
      };
      const outcome = await runConversationTest(test, makeHarness, parseNow, describeNotice);
      outcomes.push(outcome);
      const mark = outcome.passed ? paint('green', '✓') : paint('red', '✗');
      process.stdout.write(`${mark} ${test.file}: ${test.name}\n`);
      if (!outcome.passed || options.verbose) {
        for (const failure of outcome.failures) process.stdout.write(`    ${paint('red', failure)}\n`);
        if (!outcome.passed || options.verbose) {
          for (const t of outcome.transcript) {
            process.stdout.write(paint('dim', `      you> ${t.user}\n      bot> ${t.result.reply}  [${t.result.intent} ${t.result.confidence.toFixed(2)}${t.result.action ? ` ${t.result.action.skill} ${t.result.action.status}` : ''}]\n`));
          }
        }
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    model.dispose();
  }
  const passed = outcomes.filter((o) => o.passed).length;
  process.stdout.write(`\n${passed} of ${outcomes.length} conversations passed\n`);
  if (options.json) {
    const report = outcomes.map((o) => ({ file: o.test.file, name: o.test.name, passed: o.passed, failures: o.failures }));
    writeFileSync(options.json, `${JSON.stringify({ passed, total: outcomes.length, conversations: report }, null, 2)}\n`);
  }
  return outcomes;
}
