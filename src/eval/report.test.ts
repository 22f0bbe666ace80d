import { describe, expect, it } from 'vitest';
import type { NluExample } from '../data/types.js';
import { evaluateNlu, type NluPrediction } from './metrics.js';
import { escapeHtml, formatReportTable, renderConfusionSvg, renderReportHtml } from './report.js';

const ex = (intent: string, slots: NluExample['slots'] = []): NluExample => ({ text: 't', intent, slots });
const pred = (intent: string, slots: NluPrediction['slots'] = []): NluPrediction => ({ intent, slots });

// 4 examples: 3 right; the <script> intent is confused with oos once.
const gold = [ex('book_flight', [{ slot: 'city', start: 0, end: 1 }]), ex('<script>alert(1)</script>'), ex('oos'), ex('<script>alert(1)</script>')];
const predictions = [pred('book_flight', [{ slot: 'city', start: 0, end: 1 }]), pred('<script>alert(1)</script>'), pred('oos'), pred('oos')];
const report = evaluateNlu(gold, predictions, { outOfScopeIntent: 'oos' });

describe('formatReportTable', () => {
  const table = formatReportTable(report);

  it('shows the summary numbers', () => {
    expect(table).toMatch(/Intent accuracy\s+75\.00%/);
    expect(table).toMatch(/In-scope accuracy\s+66\.67%/);
    expect(table).toMatch(/Out-of-scope recall\s+100\.00%/);
    expect(table).toMatch(/Out-of-scope precision\s+50\.00%/);
    expect(table).toMatch(/Slot F1\s+100\.00%/);
  });

  it('aligns columns: every per-intent row is as wide as its header rule', () => {
    const lines = table.split('\n');
    const start = lines.indexOf('Per intent');
    const rule = lines[start + 2];
    const rows = lines.slice(start + 3).filter((l) => l.length > 0);
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row.length).toBe(rule.length);
  });

  it('lists the confusion pairs', () => {
    expect(table).toMatch(/<script>alert\(1\)<\/script>\s+oos\s+1/);
  });

  it('leaves slot lines out when there are no slots at all', () => {
    const noSlots = formatReportTable(evaluateNlu([ex('a')], [pred('a')]));
    expect(noSlots).not.toMatch(/Slot/);
    expect(noSlots).not.toMatch(/Top confusions/);
  });
});

describe('renderReportHtml', () => {
  const html = renderReportHtml(report, {
    title: 'Duet on "clinc" <test>',
    details: { dataset: 'clinc150', split: 'test', 'model & size': 'tiny' },
    notes: ['partial <data>'],
  });

  it('is one self-contained page with inline CSS and an SVG heat map', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<style>');
    expect(html).toMatch(/<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(html).not.toMatch(/<script[\s>]/i);
    expect(html).not.toMatch(/<link|src=|href=/);
  });

  it('escapes every piece of text', () => {
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('Duet on &quot;clinc&quot; &lt;test&gt;');
    expect(html).toContain('model &amp; size');
    expect(html).toContain('partial &lt;data&gt;');
  });

  it('contains the numbers', () => {
    for (const value of ['75.00%', '66.67%', '50.00%', '100.00%']) expect(html).toContain(value);
    expect(html).toMatch(/<td>&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/td><td>oos<\/td><td class="num">1<\/td>/);
  });
});

describe('renderConfusionSvg', () => {
  it('draws one cell per non-zero count, coloured by share of the gold row', () => {
    const svg = renderConfusionSvg({ labels: ['a', 'b'], counts: [[3, 1], [0, 2]] });
    const cells = svg.match(/<rect x="\d+" y="\d+" width="18"[^>]*>/g) ?? [];
    expect(cells).toHaveLength(3);
    expect(svg).toContain('a → b: 1 (25.0% of gold a)');
    // a full row share is the darkest colour; a 25% share is lighter
    expect(svg).toContain('fill="rgb(8,48,107)"');
    expect(svg).not.toContain('NaN');
  });

  it('labels both axes', () => {
    const svg = renderConfusionSvg({ labels: ['alpha', 'beta'], counts: [[1, 0], [0, 1]] });
    expect(svg.match(/>alpha<\/text>/g)).toHaveLength(2);
    expect(svg.match(/>beta<\/text>/g)).toHaveLength(2);
  });

  it('shrinks cells and type above 60 labels', () => {
    const labels = Array.from({ length: 151 }, (_, i) => `intent_${i}`);
    const counts = labels.map((_, i) => labels.map((__, j) => (i === j ? 10 : 0)));
    const svg = renderConfusionSvg({ labels, counts });
    expect(svg).toContain('font-size="7"');
    expect(svg).toContain('width="9" height="9"');
    expect(svg.length).toBeLessThan(200_000);
  });
});

describe('escapeHtml', () => {
  it('escapes the five special characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
