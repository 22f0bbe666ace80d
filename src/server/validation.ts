/** Request body validation with zod, reported as OpenAI-style 400s naming the field at fault. */
import type { z } from 'zod';
import { invalidRequest } from './errors.js';

/** "messages[0].role" from zod's path ['messages', 0, 'role']. */
export function fieldPath(path: readonly PropertyKey[]): string | null {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${String(part)}` : String(part);
  return out || null;
}

/** The body parsed by `schema`, or a 400 naming the first field that does not fit. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const param = fieldPath(issue.path);
  const missing = issue.code === 'invalid_type' && issue.message.endsWith('received undefined');
  const message = param === null ? `Invalid request body: ${issue.message}` : missing ? `'${param}' is required.` : `Invalid '${param}': ${issue.message}`;
  throw invalidRequest(message, param, missing ? 'missing_required_parameter' : 'invalid_value');
}
