/** BIO tags per whitespace token → character-offset slot spans on the space-joined text. */
import { DatasetError } from '../../errors.js';
import type { SlotSpan } from '../types.js';

/** Text rebuilt from tokens and the slot spans on it. */
export interface TextWithSpans {
  text: string;
  slots: SlotSpan[];
}

interface ParsedTag {
  kind: 'B' | 'I' | 'O';
  slot: string;
}

function parseTag(tag: string): ParsedTag {
  if (tag === 'O') return { kind: 'O', slot: '' };
  const match = /^([BI])-(.+)$/.exec(tag);
  if (!match) throw new DatasetError(`invalid BIO tag '${tag}' (expected O, B-<slot> or I-<slot>)`);
  return { kind: match[1] as 'B' | 'I', slot: match[2] };
}

/**
 * Convert one utterance's tokens and BIO tags to spans. The text is the tokens joined by single
 * spaces. An I- tag that does not continue a span of the same slot starts a new span, as
 * conlleval counts it, so malformed gold data is scored the way published numbers score it.
 */
export function bioToSpans(tokens: readonly string[], tags: readonly string[]): TextWithSpans {
  if (tokens.length !== tags.length) {
    throw new DatasetError(`${tokens.length} tokens but ${tags.length} BIO tags`);
  }
  const slots: SlotSpan[] = [];
  let open: SlotSpan | undefined;
  let offset = 0;
  tokens.forEach((token, i) => {
    const start = offset;
    const end = start + token.length;
    offset = end + 1;
    const tag = parseTag(tags[i]);
    if (tag.kind === 'I' && open && open.slot === tag.slot) {
      open.end = end;
      return;
    }
    open = undefined;
    if (tag.kind === 'O') return;
    open = { slot: tag.slot, start, end };
    slots.push(open);
  });
  return { text: tokens.join(' '), slots };
}

/** Split a whitespace-tokenised line into tokens (leading, trailing and repeated blanks ignored). */
export function splitTokens(line: string): string[] {
  return line.split(/\s+/).filter((token) => token.length > 0);
}
