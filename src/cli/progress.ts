/** Terminal progress for training: one bar with loss, validation scores and ETA (cli-progress). */
import cliProgress from 'cli-progress';
import type { TrainProgress } from '../train/train-nlu.js';

/** A progress callback that draws a bar on stderr (or prints epoch lines when not a TTY). */
export function trainingProgressBar(label: string): { onProgress: (e: TrainProgress) => void; stop: () => void } {
  const interactive = Boolean(process.stderr.isTTY);
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} |{bar}| {percentage}% | epoch {epoch} | loss {loss} | val {val} | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 200,
      noTTYOutput: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let done = 0;
  let lastVal = '-';
  let stepsPerEpoch = 1;
  let hasSlots = false;
  // A frozen pretrained backbone first encodes every example once: a bar of its own.
  const prepareBar = new cliProgress.SingleBar(
    { format: `${label} |{bar}| {percentage}% | encoding examples with the frozen backbone | ETA {eta_formatted}`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let preparing = false;
  return {
    onProgress(e) {
      if (e.kind === 'prepare') {
        if (!interactive) {
          if (e.done === 0 || e.done === e.total) process.stderr.write(`${label}: ${e.done === 0 ? 'encoding' : 'encoded'} ${e.total} examples with the frozen backbone\n`);
          return;
        }
        if (!preparing) prepareBar.start(e.total, 0);
        preparing = true;
        prepareBar.update(e.done);
        return;
      }
      if (preparing) {
        prepareBar.stop();
        preparing = false;
      }
      if (e.kind === 'sentence-head') {
        // Before the epochs (a bar left running is finished first): the sentence head gets lines of its own.
        if (started) {
          bar.update(bar.getTotal());
          bar.stop();
          started = false;
        }
        const stage =
          e.stage === 'encode'
            ? `reading ${e.total} examples with the sentence encoder`
            : `training the sentence-encoder intent head${e.onThread ? ' on a thread of its own, beside the epochs' : ''}`;
        if (e.done === 0 || (e.stage === 'encode' && e.done === Math.min(256, e.total))) process.stderr.write(`${label}: ${stage}\n`);
        return;
      }
      if (e.kind === 'start') {
        stepsPerEpoch = e.stepsPerEpoch;
        hasSlots = e.hasSlots;
        if (interactive) bar.start(e.totalSteps, 0, { epoch: 1, loss: '-', val: '-' });
        started = interactive;
        if (!interactive) process.stderr.write(`${label}: ${e.trainExamples} train / ${e.validationExamples} validation examples, ${e.stepsPerEpoch} steps per epoch\n`);
      } else if (e.kind === 'step') {
        done++;
        if (started) bar.update(done, { epoch: e.epoch, loss: e.loss.toFixed(3), val: lastVal });
      } else {
        const v = e.validation;
        const slots = hasSlots ? ` slots F1 ${(v.slotF1 * 100).toFixed(1)}` : '';
        lastVal = `intent ${(v.intentAccuracy * 100).toFixed(1)}%${slots}${e.best ? ' *' : ''}`;
        if (started) {
          bar.setTotal(e.plannedEpochs * stepsPerEpoch);
          bar.update(done, { val: lastVal });
        }
        else process.stderr.write(`${label}: epoch ${e.epoch} loss ${e.loss.toFixed(3)} val ${lastVal} (${e.seconds.toFixed(0)} s)\n`);
      }
    },
    stop() {
      if (preparing) prepareBar.stop();
      if (started) {
        bar.update(bar.getTotal());
        bar.stop();
      }
    },
  };
}
