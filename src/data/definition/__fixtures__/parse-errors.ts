/** Helpers for definition tests that check where a parse error points. */
import { DefinitionError } from '../../../errors.js';
import { parseDefinition } from '../index.js';

/** YAML from lines, so that line numbers in assertions can be read off the test. */
export function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

/** The message of the DefinitionError that parsing `text` as `a.yml` throws. */
export function errorOf(text: string | { file: string; text: string }[]): string {
  try {
    parseDefinition(typeof text === 'string' ? { file: 'a.yml', text } : text);
  } catch (error) {
    if (error instanceof DefinitionError) return error.message;
    throw error;
  }
  throw new Error('expected a DefinitionError');
}
