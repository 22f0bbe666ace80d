/** Out-of-scope threshold selection on validation data. */

/**
 * The confidence threshold with the highest accuracy over all validation examples, in scope and
 * out of scope alike: an in-scope example is right when accepted with its intent, an out-of-scope
 * one when rejected or predicted as the OOS class (which it is whatever the threshold). The lowest
 * such threshold wins ties; 0 (never reject) when rejecting only costs.
 *
 * Until 2026-11-29 the rule was "the highest OOS recall whose in-scope accuracy stays within 1
 * point of the accuracy without a threshold"; on CLINC150 validation (a model trained as
 * `duet bench nlu` trains it) that chose 0.214: in-scope 95.47%, OOS recall 88%, all 95.23%; this
 * rule chose 0.129: 96.03%, 79%, 95.48% (docs/benchmarks.md).
 */
export function chooseOosThreshold(probs: Float32Array[], gold: number[], oosIndex: number): number {
  const rows = probs.map((p, i) => {
    let arg = 0;
    for (let j = 1; j < p.length; j++) if (p[j] > p[arg]) arg = j;
    return { max: p[arg], arg, gold: gold[i] };
  });
  if (!rows.some((r) => r.gold === oosIndex) || rows.every((r) => r.gold === oosIndex)) return 0;
  // Only examples predicted in scope change with the threshold; a threshold rejects those below it.
  const movable = rows.filter((r) => r.arg !== oosIndex).sort((a, b) => a.max - b.max);
  let gain = 0;
  let bestGain = 0;
  let bestThreshold = 0;
  for (let i = 0; i < movable.length; ) {
    const max = movable[i].max;
    // Examples with equal confidence are rejected together.
    for (; i < movable.length && movable[i].max === max; i++) {
      const r = movable[i];
      if (r.gold === oosIndex) gain++;
      else if (r.gold === r.arg) gain--;
    }
    if (gain > bestGain) {
      bestGain = gain;
      // The next confidence up is accepted again (a threshold accepts a confidence equal to it).
      // Rejecting every example predicted in scope needs a threshold above the highest confidence.
      bestThreshold = i < movable.length ? movable[i].max : max + 1e-6;
    }
  }
  return bestThreshold;
}
