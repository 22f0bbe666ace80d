/** Out-of-scope threshold selection on validation data. */

/**
 * Highest out-of-scope recall whose in-scope accuracy stays within `budget` of the accuracy
 * without any threshold. A rejected in-scope example counts as an error; an example predicted
 * as the OOS class is out-of-scope whatever the threshold.
 */
export function chooseOosThreshold(probs: Float32Array[], gold: number[], oosIndex: number, budget = 0.01): number {
  const rows = probs.map((p, i) => {
    let arg = 0;
    for (let j = 1; j < p.length; j++) if (p[j] > p[arg]) arg = j;
    return { max: p[arg], arg, gold: gold[i] };
  });
  const inScope = rows.filter((r) => r.gold !== oosIndex);
  const oos = rows.filter((r) => r.gold === oosIndex);
  if (oos.length === 0 || inScope.length === 0) return 0;
  const evaluate = (t: number) => {
    const accepted = (r: (typeof rows)[number]) => r.max >= t && r.arg !== oosIndex;
    const inScopeAcc = inScope.filter((r) => accepted(r) && r.arg === r.gold).length / inScope.length;
    const oosRecall = oos.filter((r) => !accepted(r)).length / oos.length;
    return { inScopeAcc, oosRecall };
  };
  const base = evaluate(0);
  let bestT = 0;
  let bestRecall = base.oosRecall;
  const candidates = [...new Set(rows.map((r) => r.max))].sort((a, b) => a - b);
  for (const t of candidates) {
    const { inScopeAcc, oosRecall } = evaluate(t);
    if (inScopeAcc < base.inScopeAcc - budget) break;
    if (oosRecall > bestRecall) {
      bestRecall = oosRecall;
      bestT = t;
    }
  }
  return bestT;
}
