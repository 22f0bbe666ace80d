import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../../errors.js';
import { parseCsv, parseCsvRecords } from './csv.js';

describe('parseCsv', () => {
  it('splits plain fields and rows', () => {
    expect(parseCsv('a,b\nc,d\n')).toEqual([['a', 'b'], ['c', 'd']]);
  });

  it('accepts CRLF and a missing final line break', () => {
    expect(parseCsv('a,b\r\nc,d')).toEqual([['a', 'b'], ['c', 'd']]);
  });

  it('reads quoted fields with commas, doubled quotes and line breaks', () => {
    expect(parseCsv('"x, y","say ""hi""","two\nlines"\r\n')).toEqual([['x, y', 'say "hi"', 'two\nlines']]);
  });

  it('keeps empty fields, quoted or not', () => {
    expect(parseCsv('a,,""\n,\n')).toEqual([['a', '', ''], ['', '']]);
  });

  it('drops a byte-order mark', () => {
    expect(parseCsv('\uFEFFtext,category\n')).toEqual([['text', 'category']]);
  });

  it('honours another delimiter', () => {
    expect(parseCsv('a;"b;c"\n', ';')).toEqual([['a', 'b;c']]);
  });

  it('keeps a quote in the middle of an unquoted field as text', () => {
    expect(parseCsv('it"s,x\n')).toEqual([['it"s', 'x']]);
  });

  it('rejects an unterminated quote and text after a closing quote', () => {
    expect(() => parseCsv('"open,x\n')).toThrow(DatasetError);
    expect(() => parseCsv('"a"b,c\n')).toThrow(/after a closing quote/);
  });

  it('returns no rows for empty input', () => {
    expect(parseCsv('')).toEqual([]);
  });
});

describe('parseCsvRecords', () => {
  it('keys records by the header', () => {
    expect(parseCsvRecords('text,category\n"hi, there",greet\n')).toEqual([{ text: 'hi, there', category: 'greet' }]);
  });

  it('rejects a record with the wrong number of fields', () => {
    expect(() => parseCsvRecords('text,category\nonly\n')).toThrow(/record 1 has 1 fields/);
  });
});

/** RFC 4180 writer: quote a field when it needs it (or is empty, so a lone empty field still makes a row). */
function writeCsv(rows: string[][], newline: string, quoteAll: boolean): string {
  const quote = (field: string) => `"${field.replaceAll('"', '""')}"`;
  const needsQuotes = (field: string) => quoteAll || field === '' || /[",\r\n]/.test(field);
  return rows.map((row) => row.map((f) => (needsQuotes(f) ? quote(f) : f)).join(',') + newline).join('');
}

describe('parseCsv properties', () => {
  const field = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ',', '"', '\n', '\r', 'é', '🙂') });
  const rows = fc.array(fc.array(field, { minLength: 1, maxLength: 5 }), { maxLength: 6 });

  it('reads back what an RFC 4180 writer wrote', () => {
    fc.assert(
      fc.property(rows, fc.constantFrom('\n', '\r\n'), fc.boolean(), (data, newline, quoteAll) => {
        expect(parseCsv(writeCsv(data, newline, quoteAll))).toEqual(data);
      }),
    );
  });
});
