/**
 * Turns the space-tokenised text of corpora such as DailyDialog ("Hello , how are you ?",
 * "I ’ m fine") back into natural text ("Hello, how are you?", "I'm fine"), and gives the loose
 * key used to find near-duplicate utterances across splits.
 */

/** Punctuation that sticks to the word before it: "fine ." → "fine.". */
const CLOSING = /^[.,?!;:%)\]}…]+$/;
/** Tokens that stick to the word after them: "( see", "$ 200". */
const OPENING = /^[([{$£€#]$/;
/** Apostrophes as they appear in the data, typographic or not. */
const APOSTROPHE = /^['’‘`]$/;
/** What may follow a split apostrophe in a contraction: "I ' m", "don ' t", "o ’ clock". */
const CONTRACTION_TAIL = /^(s|t|m|re|ve|ll|d|clock)$/i;
const ENDS_WITH_WORD = /[\p{L}\p{N}]$/u;
const STARTS_WITH_LETTER = /^\p{L}/u;

/**
 * Detokenise one utterance: glue punctuation, rebuild contractions and possessives, pair quotes,
 * turn typographic quotes into ASCII ones, restore a missing space after a sentence ("so.Yes"),
 * and collapse whitespace. Deterministic, so equal inputs give equal outputs.
 */
export function detokenise(text: string): string {
  const tokens = text
    .replace(/\s+/g, ' ')
    .trim()
    .split(' ')
    .filter((t) => t.length > 0);
  const isApostrophe = tokens.map((t) => APOSTROPHE.test(t));
  let out = '';
  // Whether the next token is glued to what came before (start of text, after "(" or an opening quote).
  let glueNext = true;
  let doubleOpen = false;
  let singleOpen = false;
  const emit = (piece: string, glueLeft: boolean, glueRight: boolean) => {
    out += glueNext || glueLeft ? piece : ` ${piece}`;
    glueNext = glueRight;
  };

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    const prev = i > 0 ? tokens[i - 1] : '';
    const next = i + 1 < tokens.length ? tokens[i + 1] : '';
    if (isApostrophe[i]) {
      const curly = token !== "'";
      if (ENDS_WITH_WORD.test(prev) && CONTRACTION_TAIL.test(next)) {
        // "I ' Ve" → "I've": the tail is lower-cased unless the whole word is shouted ("DON'T").
        emit("'", true, true);
        tokens[i + 1] = next === next.toUpperCase() && prev === prev.toUpperCase() && prev.length > 1 ? next : next.toLowerCase();
      } else if (curly && ENDS_WITH_WORD.test(prev) && STARTS_WITH_LETTER.test(next)) {
        // Typographic apostrophes are never quote marks here: "parents ’ consent" is a possessive,
        // "O ’ Neal", "ma ’ am", "Xi ’ an" are one word.
        if (/s$/i.test(prev)) emit("'", true, false);
        else emit("'", true, true);
      } else if (singleOpen) {
        emit("'", true, false);
        singleOpen = false;
      } else if (/s$/i.test(prev) && !isApostrophe.slice(i + 1).includes(true)) {
        // An unpaired apostrophe after a plural: "the Teachers ' College" → "the Teachers' College".
        emit("'", true, false);
      } else if (CLOSING.test(prev) || next === '' || CLOSING.test(next)) {
        // After punctuation or before it, a lone apostrophe closes a quotation.
        emit("'", true, false);
      } else {
        emit("'", false, true);
        singleOpen = true;
      }
      continue;
    }
    if (token === '“') {
      emit('"', false, true);
      doubleOpen = true;
    } else if (token === '”') {
      emit('"', true, false);
      doubleOpen = false;
    } else if (token === '"') {
      if (doubleOpen) emit('"', true, false);
      else emit('"', false, true);
      doubleOpen = !doubleOpen;
    } else if (CLOSING.test(token)) {
      emit(token, true, false);
    } else if (OPENING.test(token)) {
      emit(token, false, true);
    } else {
      emit(token.replace(/[’‘`]/g, "'").replace(/[“”]/g, '"'), false, false);
    }
  }
  // "so.Yes" → "so. Yes": two lower-case letters before the stop keep "St.Patrick" and "Mr.Smith" as they are.
  return out.replace(/(\p{Ll}{2})([.?!])(\p{Lu}\p{Ll})/gu, '$1$2 $3');
}

/**
 * Loose comparison key of an utterance: lower-case letters and digits only, so "I ’ m fine ."
 * and "I'm fine" match. Used to find dialogues repeated across splits with small edits.
 */
export function looseKey(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
}
