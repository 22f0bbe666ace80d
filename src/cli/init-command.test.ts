import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDefinition } from '../data/definition/index.js';
import { loadConversationTests } from '../dialogue/conversation-tests.js';
import { initProject } from './init-command.js';

describe('duet init', () => {
  const root = mkdtempSync(join(tmpdir(), 'duet-init-'));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('creates a project whose definition loads and whose sample tests parse', async () => {
    const dir = join(root, 'my-assistant');
    const lines: string[] = [];
    initProject(dir, (l) => lines.push(l));
    expect(existsSync(join(dir, 'README.md'))).toBe(true);
    const definition = await loadDefinition([dir]);
    expect(definition.intents.some((i) => i.skill === 'reminders.create')).toBe(true);
    expect(loadConversationTests([join(dir, 'tests', 'conversations')]).length).toBeGreaterThan(0);
    expect(lines.join('\n')).toContain('npx duet chat');
  });

  it('refuses a folder that already has files, and changes nothing in it', () => {
    const dir = join(root, 'busy');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    expect(() => initProject(dir, () => undefined)).toThrow(/not empty/);
    expect(readdirSync(dir)).toEqual(['notes.txt']);
  });
});
