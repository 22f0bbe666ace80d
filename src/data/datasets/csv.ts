/** A small RFC 4180 CSV parser: quoted fields may hold commas, doubled quotes and line breaks. */
import { DatasetError } from '../../errors.js';

/** Parser state between characters. */
interface CsvState {
  rows: string[][];
  row: string[];
  field: string;
  inQuotes: boolean;
  /** Whether the current field began with a quote (text after its closing quote is an error). */
  quoted: boolean;
}

function endField(state: CsvState): void {
  state.row.push(state.field);
  state.field = '';
  state.quoted = false;
}

function endRow(state: CsvState): void {
  endField(state);
  state.rows.push(state.row);
  state.row = [];
}

/** Handle one character inside a quoted field; returns how many characters were consumed. */
function stepQuoted(state: CsvState, text: string, i: number): number {
  if (text[i] !== '"') {
    state.field += text[i];
    return 1;
  }
  if (text[i + 1] === '"') {
    state.field += '"';
    return 2;
  }
  state.inQuotes = false;
  return 1;
}

/** Handle one character outside quotes; returns how many characters were consumed. */
function stepPlain(state: CsvState, text: string, i: number, delimiter: string): number {
  const ch = text[i];
  if (ch === delimiter) {
    endField(state);
    return 1;
  }
  if (ch === '\n' || (ch === '\r' && text[i + 1] === '\n')) {
    endRow(state);
    return ch === '\r' ? 2 : 1;
  }
  if (ch === '"' && state.field === '' && !state.quoted) {
    state.inQuotes = true;
    state.quoted = true;
    return 1;
  }
  if (state.quoted) throw new DatasetError(`CSV: unexpected character after a closing quote at offset ${i}`);
  state.field += ch;
  return 1;
}

/**
 * Parse CSV text into rows of fields. Rows end at LF or CRLF; a final line break does not make
 * an empty row. A quote in the middle of an unquoted field is kept as text (lenient, like most
 * readers); an unterminated quoted field is an error.
 */
export function parseCsv(text: string, delimiter = ','): string[][] {
  const state: CsvState = { rows: [], row: [], field: '', inQuotes: false, quoted: false };
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let i = 0;
  while (i < body.length) {
    i += state.inQuotes ? stepQuoted(state, body, i) : stepPlain(state, body, i, delimiter);
  }
  if (state.inQuotes) throw new DatasetError('CSV: a quoted field is not closed before the end of the file');
  if (state.field !== '' || state.quoted || state.row.length > 0) endRow(state);
  return state.rows;
}

/** Parse CSV with a header row into records keyed by column name. */
export function parseCsvRecords(text: string, delimiter = ','): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text, delimiter);
  if (!header) return [];
  return rows.map((row, r) => {
    if (row.length !== header.length) {
      throw new DatasetError(`CSV: record ${r + 1} has ${row.length} fields, the header has ${header.length}`);
    }
    return Object.fromEntries(header.map((name, c) => [name, row[c]]));
  });
}
