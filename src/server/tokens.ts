/**
 * Approximate token counts for the `usage` field. Duet's own tokenizer is not the one a client
 * budgets with, so the figures imitate a GPT-style BPE on English chat instead: each run of letters
 * or digits counts one token per started 6 characters (common words are one token, long words
 * split), each other non-space character one token. Clients use `usage` for rough accounting
 * and context budgets; this count is an estimate of that kind, not a billing figure.
 */
const PIECES = /[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu;

/** Approximate tokens of one text. */
export function approximateTokens(text: string): number {
  let tokens = 0;
  for (const [piece] of text.matchAll(PIECES)) tokens += /^[\p{L}\p{N}]/u.test(piece) ? Math.ceil(piece.length / 6) : 1;
  return tokens;
}

/**
 * Prompt tokens of a chat request: every message's text plus the framing OpenAI's chat format adds
 * (3 tokens per message for role and separators, 3 to start the reply), as OpenAI's own counting
 * guide does.
 */
export function approximatePromptTokens(messages: readonly { text: string }[]): number {
  return messages.reduce((sum, m) => sum + 3 + approximateTokens(m.text), 3);
}
