/** Human-readable views of an `EvaluationReport`: an aligned terminal table and a self-contained HTML page. */
import type { ConfusionMatrix, EvaluationReport } from './metrics.js';

/** What the HTML page says about the run besides the numbers. */
export interface ReportMeta {
  title: string;
  /** Facts shown under the title, in order (dataset, split, model, date...). */
  details?: Record<string, string | number>;
  /** Caveats shown below the summary (e.g. "SGD here is partial"). */
  notes?: string[];
}

const percent = (value: number, digits = 2): string => `${(value * 100).toFixed(digits)}%`;

/** Whether the slot figures mean anything (a dataset without slot annotations has none on either side). */
const hasSlotFigures = (report: EvaluationReport): boolean => report.slots.gold + report.slots.predicted > 0;

/** Summary metrics as label/value pairs, shared by the table and the HTML page. */
export function summaryRows(report: EvaluationReport): [string, string][] {
  const rows: [string, string][] = [
    ['Examples', String(report.examples)],
    ['Intent accuracy', percent(report.intentAccuracy)],
  ];
  if (report.inScopeAccuracy !== undefined) rows.push(['In-scope accuracy', percent(report.inScopeAccuracy)]);
  if (report.outOfScope) {
    rows.push(['Out-of-scope recall', percent(report.outOfScope.recall)], ['Out-of-scope precision', percent(report.outOfScope.precision)]);
  }
  rows.push(['Intent macro-F1', percent(report.intentMacroF1)]);
  if (hasSlotFigures(report)) {
    const { precision, recall, f1 } = report.slots;
    rows.push(['Slot precision', percent(precision)], ['Slot recall', percent(recall)], ['Slot F1', percent(f1)]);
  }
  rows.push(['Exact-frame accuracy', percent(report.exactMatchAccuracy)]);
  return rows;
}

type Align = 'left' | 'right';

/** Columns padded to their widest cell; numbers right-aligned so digits line up. */
function alignedTable(headers: string[], rows: string[][], align: Align[]): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (align[c] === 'right' ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function confusionPairRows(report: EvaluationReport): string[][] {
  return report.confusionPairs.map((p) => [p.gold, p.predicted, String(p.count)]);
}

function perIntentRows(report: EvaluationReport): string[][] {
  return report.perIntent.map((s) => [s.intent, String(s.support), String(s.predicted), percent(s.precision, 1), percent(s.recall, 1), percent(s.f1, 1)]);
}

const PER_INTENT_HEADERS = ['intent', 'support', 'predicted', 'precision', 'recall', 'F1'];

/** The report as plain-text tables for a terminal: summary, top confusions, per-intent scores. */
export function formatReportTable(report: EvaluationReport): string {
  const summary = alignedTable(['metric', 'value'], summaryRows(report), ['left', 'right']);
  const sections = [summary];
  if (report.confusionPairs.length > 0) {
    sections.push(`Top confusions\n${alignedTable(['gold', 'predicted', 'count'], confusionPairRows(report), ['left', 'left', 'right'])}`);
  }
  sections.push(`Per intent\n${alignedTable(PER_INTENT_HEADERS, perIntentRows(report), ['left', 'right', 'right', 'right', 'right', 'right'])}`);
  return `${sections.join('\n\n')}\n`;
}

/** Escape text for HTML and inline SVG (content and attribute values). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string);
}

function htmlTable(headers: string[], rows: string[][], numericFrom: number): string {
  const cell = (tag: string, text: string, c: number) => `<${tag}${c >= numericFrom ? ' class="num"' : ''}>${escapeHtml(text)}</${tag}>`;
  const head = `<tr>${headers.map((h, c) => cell('th', h, c)).join('')}</tr>`;
  const body = rows.map((row) => `<tr>${row.map((text, c) => cell('td', text, c)).join('')}</tr>`).join('\n');
  return `<table>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/** White → dark blue by `share` in [0, 1]; any non-zero share gets a visible tint. */
function heatColor(share: number): string {
  const t = share > 0 ? 0.08 + 0.92 * share : 0;
  const mix = (from: number, to: number) => Math.round(from + (to - from) * t);
  return `rgb(${mix(255, 8)},${mix(255, 48)},${mix(255, 107)})`;
}

/** Layout of the heat map: smaller cells and type once there are many labels, so it stays readable when scrolled. */
function matrixLayout(labels: readonly string[]) {
  const dense = labels.length > 60;
  const cell = dense ? 9 : 18;
  const font = dense ? 7 : 11;
  const longest = Math.max(1, ...labels.map((l) => l.length));
  const margin = Math.ceil(longest * font * 0.62) + 18;
  return { cell, font, margin, size: margin + cell * labels.length + 4 };
}

function matrixCells(matrix: ConfusionMatrix, cell: number, margin: number): string[] {
  const cells: string[] = [];
  matrix.counts.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((count, j) => {
      if (count === 0) return;
      const share = count / total;
      const tip = `${matrix.labels[i]} → ${matrix.labels[j]}: ${count} (${percent(share, 1)} of gold ${matrix.labels[i]})`;
      cells.push(
        `<rect x="${margin + j * cell}" y="${margin + i * cell}" width="${cell}" height="${cell}" fill="${heatColor(share)}"><title>${escapeHtml(tip)}</title></rect>`,
      );
    });
  });
  return cells;
}

function matrixAxisLabels(labels: readonly string[], cell: number, margin: number): string[] {
  const half = cell / 2;
  return labels.flatMap((label, k) => {
    const text = escapeHtml(label);
    const at = margin + k * cell + half;
    return [
      `<text x="${margin - 4}" y="${at}" text-anchor="end" dominant-baseline="middle">${text}</text>`,
      `<text transform="translate(${at},${margin - 4}) rotate(-90)" dominant-baseline="middle">${text}</text>`,
    ];
  });
}

/** The confusion matrix as an SVG heat map: rows gold, columns predicted, colour = share of the gold row. */
export function renderConfusionSvg(matrix: ConfusionMatrix): string {
  const { cell, font, margin, size } = matrixLayout(matrix.labels);
  const side = cell * matrix.labels.length;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" font-family="system-ui, sans-serif" font-size="${font}" role="img" aria-label="confusion matrix">`,
    `<text x="2" y="${font + 2}" font-weight="bold">gold ↓ / predicted →</text>`,
    `<rect x="${margin}" y="${margin}" width="${side}" height="${side}" fill="#fff" stroke="#bbb"/>`,
    ...matrixCells(matrix, cell, margin),
    ...matrixAxisLabels(matrix.labels, cell, margin),
    '</svg>',
  ].join('\n');
}

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
h1 { margin-bottom: .2rem; } h2 { margin-top: 2rem; }
dl.details { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; color: #555; }
dl.details dt { font-weight: 600; }
table { border-collapse: collapse; font-size: .9rem; }
th, td { padding: .25rem .6rem; border-bottom: 1px solid #e3e3e3; text-align: left; }
th { background: #f4f6f8; position: sticky; top: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.scroll { max-height: 32rem; overflow: auto; display: inline-block; border: 1px solid #e3e3e3; }
.matrix { max-width: 100%; max-height: 90vh; overflow: auto; border: 1px solid #e3e3e3; }
.notes { color: #8a5300; }
`;

function detailsHtml(meta: ReportMeta): string {
  const entries = Object.entries(meta.details ?? {});
  if (entries.length === 0) return '';
  return `<dl class="details">${entries.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(String(v))}</dd>`).join('')}</dl>`;
}

function notesHtml(meta: ReportMeta): string {
  if (!meta.notes?.length) return '';
  return `<ul class="notes">${meta.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`;
}

function confusionSection(report: EvaluationReport): string {
  if (report.confusionPairs.length === 0) return '<h2>Top confusions</h2>\n<p>No confusions.</p>';
  return `<h2>Top confusions</h2>\n${htmlTable(['gold', 'predicted', 'count'], confusionPairRows(report), 2)}`;
}

/** A self-contained HTML page (inline CSS and SVG, no scripts) with summary, confusions, per-intent scores and the matrix. */
export function renderReportHtml(report: EvaluationReport, meta: ReportMeta): string {
  const title = escapeHtml(meta.title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${title}</h1>
${detailsHtml(meta)}
<h2>Summary</h2>
${htmlTable(['metric', 'value'], summaryRows(report), 1)}
${notesHtml(meta)}
${confusionSection(report)}
<h2>Per intent</h2>
<div class="scroll">${htmlTable(PER_INTENT_HEADERS, perIntentRows(report), 1)}</div>
<h2>Confusion matrix</h2>
<p>Rows are gold intents, columns predicted ones; colour is the share of the gold row. Hover a cell for its count.</p>
<div class="matrix">${renderConfusionSvg(report.confusionMatrix)}</div>
</body>
</html>
`;
}
