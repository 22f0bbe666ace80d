/**
 * Generates examples/assistant/chitchat.yml, the demo assistant's small talk, from Microsoft's
 * QnA Maker chit-chat data (MIT): one `chitchat.<slug>` intent per question/answer pair, with up
 * to 40 of its question phrasings and the five personalities' answers as alternative responses.
 *
 *   npx tsx tools/build-chitchat.mts
 *
 * Reads `$DUET_DATA_DIR/microsoft-chitchat/qnamaker-english/*.qna` (default ../shared/data).
 * Deterministic: the same data and definition give the same file byte for byte.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Document } from 'yaml';
import { resolveDataDir } from '../src/data/datasets/files.js';
import { definitionToExamples, loadDefinition } from '../src/data/definition/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ASSISTANT_DIR = join(ROOT, 'examples', 'assistant');
const OUTPUT = join(ASSISTANT_DIR, 'chitchat.yml');
const QNA_DIR = join(resolveDataDir(), 'microsoft-chitchat', 'qnamaker-english');

/**
 * The 2021 source gives the old US Lifeline number; since July 2022 the US line is 988. An
 * assistant must not hand out an outdated crisis number, so it is replaced in the answers.
 */
function updateHelpline(answer: string): string {
  return answer
    .replace(/1-800-273-8255/g, '988 (call or text, in the US)')
    .replace(/www\.suicidepreventionlifeline\.org/g, '988lifeline.org');
}

/**
 * Answers that the demo's persona (`persona:` in assistant.yml) makes untrue, replaced: every
 * personality of the source says it has no name, and the demo has one. The runtime fills in
 * `{persona.name}` (docs/assistant-definition.md).
 */
const PERSONA_ANSWERS: Record<string, string[]> = {
  your_name: ["I'm {persona.name}.", 'My name is {persona.name}.', "I'm {persona.name}, your assistant on this computer."],
};

/** The friendly personality gives the questions and the first answer; the others add answers. */
const PRIMARY_FILE = 'qna_chitchat_friendly.qna';
const OTHER_FILES = ['qna_chitchat_caring.qna', 'qna_chitchat_enthusiastic.qna', 'qna_chitchat_professional.qna', 'qna_chitchat_witty.qna'];

/** At most this many phrasings per pair: enough variety, without drowning the task intents. */
const MAX_PHRASINGS = 40;

/**
 * Intent slug of each pair, keyed by the friendly file's primary question. A pair missing here
 * stops the build, so new or edited data gets a deliberate name (or a place in SKIPPED).
 */
const SLUGS: Record<string, string> = {
  "I'm so bored of you": 'you_are_boring',
  'Are you a woman?': 'gender',
  "Who's older?": 'age',
  'Will you ask me anything about myself': 'ask_me_questions',
  'Do you have fingers?': 'body',
  'Do you have a boss?': 'boss',
  'Do you have a designer?': 'who_made_you',
  'Who is your momma?': 'family',
  "You're feeling enthusiastic.": 'you_seem_happy',
  'do you eat cake?': 'food',
  'Have you met Alexa?': 'other_bots',
  'do you like barcelona?': 'likes',
  'With whom am I talking?': 'your_name',
  "What's the best television show of all time?": 'opinions',
  "Could it be I'm falling in love?": 'love',
  'What is life about?': 'meaning_of_life',
  'Which of us is cuter, you or me?': 'who_is_cuter',
  "I'm clearly more clever": 'who_is_smarter',
  'How do you feel about artificial intelligence?': 'ai_and_tech',
  'Do you think I look stunning today?': 'how_do_i_look',
  'What do you think I should do?': 'advice',
  'Are you a fan of Google Assistant?': 'other_assistants',
  'Do you expect to enslave humans?': 'take_over_the_world',
  'Are you smart?': 'are_you_smart',
  'Are you going steady with somebody?': 'relationship',
  'Knock knock': 'anyone_there',
  "I've heard that already": 'repeating_yourself',
  'Are you fake?': 'are_you_a_bot',
  'Can you tell me where you are?': 'where_are_you',
  'What line of work are you in?': 'your_job',
  "You're going to have to look for another job. You are fired!": 'you_are_fired',
  'I would love to hear a joke': 'tell_a_joke',
  'How come you only know one joke?': 'another_joke',
  'Will you say something funny?': 'be_funny',
  'Will you shush': 'be_quiet',
  'Can you sing me a song?': 'sing',
  'I am a fan': 'compliment',
  'Are you dumb?': 'insult',
  'Was that a joke?': 'not_funny',
  'You got hit with the ugly stick': 'you_are_ugly',
  "That's not what I thought you'd say": 'bad_answer',
  'You are too funny': 'you_are_funny',
  Whoops: 'oops',
  'Can you explain that to me?': 'explain',
  "I didn't mean that": 'apology',
  "I don't understand what you're talking about": 'confused',
  "How'd you sleep last night?": 'how_are_you',
  'How is your Tuesday so far': 'how_is_your_day',
  "Happy Father's day": 'happy_holidays',
  'Gimme the dirt': 'whats_up',
  'Up high': 'high_five',
  'I would love to be your best friend.': 'be_friends',
  "I'm your least favorite person": 'do_you_hate_me',
  'I could really use a hug': 'hug',
  "What's my job?": 'about_me',
  'Do you like me?': 'do_you_like_me',
  'I like you': 'i_like_you',
  'Do you have romantic feelings toward me?': 'do_you_love_me',
  "I'm in love with you": 'i_love_you',
  'I think we should elope': 'marry_me',
  "It's impossible not to miss you": 'missed_you',
  'Just curious, do you think I have a good personality?': 'what_do_you_think_of_me',
  "I'm so pissed off right now": 'i_am_angry',
  'What a boring Thursday': 'i_am_bored',
  "I'm positively overjoyed": 'i_am_happy',
  'I require sustenance': 'i_am_hungry',
  "I'm a Socialist": 'about_myself',
  "I'm just messing with you": 'just_kidding',
  'I wish I had a friend': 'i_am_lonely',
  'I love to cook': 'i_love_things',
  "I'm feeling blue": 'i_am_sad',
  "I think I'm going to overdose": 'crisis',
  "I'm at school": 'what_i_am_doing',
  'Can you hear me now?': 'testing',
  "I'm exhausted": 'i_am_tired',
};

/** Pairs left out because a dialogue intent or a skill owns what they cover. */
const SKIPPED: Record<string, string> = {
  'Yo dude': 'greet',
  'Good evening robot': 'greet',
  'Good morning sunshine': 'greet',
  'Hey R2-D2': 'greet (hello Siri, hello Alexa...)',
  "It's a pleasure to finally meet you": 'greet',
  'I have returned': 'greet (I am back)',
  'Have yourself a good night': 'goodbye',
  "I'm gonna skedaddle": 'goodbye',
  'Hold my calls': 'goodbye (talk to you later, brb)',
  "That's very kind": 'thanks',
  'I’m happy to help': "thanks (you're welcome, no problem)",
  "That's true": "affirm (that's right, correct)",
  'How amazing': 'affirm (okay cool, you got it)',
  'what do you have responses for?': 'help (what can you do)',
  'Can you jump rope?': 'out_of_scope (can you check the weather, find my phone, make a call)',
};

/**
 * Phrasings left out of the pairs that are kept, because they would teach a chitchat label for
 * words that belong to a dialogue intent, a skill or out_of_scope.
 */
const CONFLICTING_WORDS: RegExp[] = [
  /\b(remind\w*|timers?|alarms?|to-?dos?|shopping|grocer\w*|lists?)\b/i, // skills
  /\b(what time|what day|dates?|calendar|clock|convert\w*|calculat\w*|how many|how much|plus|minus|divided)\b/i,
  /\b(cancel\w*|never ?mind|forget it|stop\w*|abort|undo)\b/i, // cancel
  /\b(help|what can you do)\b/i, // help
  /\b(thanks?|thank you|thx|cheers|bye|goodbye|hello|hi|hey)\b/i, // thanks, goodbye, greet
  /\b(yes|yeah|yep|no|nope|nah|ok|okay|sure|correct|right|wrong)\b/i, // affirm, deny, correct
  /\b(meant?|actually)\b/i, // correct
  /\b(weather|e-?mail|order|buy|purchase|call|phone|play|flights?|hotels?|news|translate|directions?)\b/i, // out_of_scope
  /^(i need|i should|i have to|i've got to|i gotta|it's time|time to|time for)\b/i, // tasks ("I need to water the garden")
];

interface QnaPair {
  primary: string;
  /** The primary question first, then the alternatives, as written. */
  questions: string[];
  answer: string;
}

/** Parse a Bot Framework .qna file: `# ? question`, `- alternative` lines, `**Filters:**`, a fenced answer. */
function parseQna(text: string, file: string): QnaPair[] {
  const pairs: QnaPair[] = [];
  let current: QnaPair | undefined;
  let inFilters = false;
  let answer: string[] | undefined;
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (answer) {
      if (line.startsWith('```')) {
        if (!current) throw new Error(`${file}: an answer outside a pair`);
        current.answer = answer.join('\n').trim();
        answer = undefined;
      } else {
        answer.push(line);
      }
    } else if (line.startsWith('# ? ')) {
      current = { primary: line.slice(4).trim(), questions: [line.slice(4).trim()], answer: '' };
      pairs.push(current);
      inFilters = false;
    } else if (line.startsWith('**Filters:**')) {
      inFilters = true;
    } else if (line.startsWith('```')) {
      answer = [];
    } else if (line.startsWith('- ') && current && !inFilters) {
      current.questions.push(line.slice(2).trim());
    }
  }
  for (const pair of pairs) if (!pair.answer) throw new Error(`${file}: pair '${pair.primary}' has no answer`);
  return pairs;
}

/** The comparison key of a phrasing: case, spacing, curly quotes and final punctuation ignored. */
function phraseKey(text: string): string {
  return text
    .toLowerCase()
    .replace(/[’‘]/g, "'")
    .replace(/\s+/g, ' ')
    .replace(/[\s?.!,]+$/, '')
    .trim();
}

/** The same pair in another personality's file: the one sharing the most questions. */
function matchPair(pair: QnaPair, candidates: QnaPair[]): QnaPair | undefined {
  const keys = new Set(pair.questions.map(phraseKey));
  let best: QnaPair | undefined;
  let bestShared = 0;
  for (const candidate of candidates) {
    const shared = candidate.questions.filter((q) => keys.has(phraseKey(q))).length;
    if (shared > bestShared) [best, bestShared] = [candidate, shared];
  }
  // Fewer than half of the questions in common would be a different pair.
  return bestShared * 2 >= Math.min(keys.size, best?.questions.length ?? 0) ? best : undefined;
}

/**
 * Up to `max` phrasings: the primary question, half of the rest from the shortest (the terse way
 * people type), the other half spread evenly over the longer ones (the varied way).
 */
function samplePhrasings(phrasings: string[], primary: string, max: number): string[] {
  const primaryKey = phraseKey(primary);
  const chosen = phrasings.filter((p) => phraseKey(p) === primaryKey).slice(0, 1);
  const rest = phrasings
    .filter((p) => phraseKey(p) !== primaryKey)
    .sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  const budget = max - chosen.length;
  if (rest.length <= budget) return [...chosen, ...rest];
  const shortCount = Math.ceil(budget / 2);
  const longer = rest.slice(shortCount);
  const spreadCount = budget - shortCount;
  const spread = Array.from({ length: spreadCount }, (_, i) => longer[Math.floor(((i + 0.5) * longer.length) / spreadCount)]);
  return [...chosen, ...rest.slice(0, shortCount), ...spread];
}

/** Literal brackets and backslashes would read as slot annotations. */
function escapeAnnotation(text: string): string {
  return text.replace(/[[\]\\]/g, (c) => `\\${c}`);
}

async function main(): Promise<void> {
  const read = (file: string) => parseQna(readFileSync(join(QNA_DIR, file), 'utf8'), file);
  const primaryPairs = read(PRIMARY_FILE);
  const others = OTHER_FILES.map(read);

  // Phrasings that the hand-written intents already use must not be taught as small talk.
  const definitionFiles = readdirSync(ASSISTANT_DIR)
    .filter((f) => /\.ya?ml$/.test(f) && join(ASSISTANT_DIR, f) !== OUTPUT)
    .sort()
    .map((f) => join(ASSISTANT_DIR, f));
  const taken = new Set(definitionToExamples(await loadDefinition(definitionFiles)).map((e) => phraseKey(e.text)));

  const kept: { slug: string; pair: QnaPair; phrasings: string[]; answers: string[] }[] = [];
  const skipped: string[] = [];
  for (const pair of primaryPairs) {
    if (pair.primary in SKIPPED) {
      skipped.push(`${pair.primary} (${SKIPPED[pair.primary]})`);
      continue;
    }
    const slug = SLUGS[pair.primary];
    if (!slug) throw new Error(`pair '${pair.primary}' has no slug: add it to SLUGS or SKIPPED in tools/build-chitchat.mts`);
    const answers = [pair.answer];
    for (const file of others) {
      const answer = matchPair(pair, file)?.answer;
      if (answer && !answers.includes(answer)) answers.push(answer);
    }
    const seen = new Set<string>();
    const phrasings = pair.questions.filter((q) => {
      const key = phraseKey(q);
      if (!key || seen.has(key) || taken.has(key) || CONFLICTING_WORDS.some((re) => re.test(q))) return false;
      seen.add(key);
      return true;
    });
    kept.push({ slug, pair, phrasings, answers });
  }

  // A phrasing under two pairs would teach contradictory labels: drop it from both.
  const owners = new Map<string, number>();
  for (const { phrasings } of kept) for (const p of phrasings) owners.set(phraseKey(p), (owners.get(phraseKey(p)) ?? 0) + 1);

  const intents: Record<string, { response: string; examples: string[] }> = {};
  const responses: Record<string, string[]> = {};
  let total = 0;
  for (const { slug, pair, phrasings, answers } of kept) {
    const unique = phrasings.filter((p) => owners.get(phraseKey(p)) === 1);
    const examples = samplePhrasings(unique, pair.primary, MAX_PHRASINGS).map(escapeAnnotation);
    if (examples.length === 0) throw new Error(`pair '${pair.primary}' has no phrasing left after filtering`);
    total += examples.length;
    intents[`chitchat.${slug}`] = { response: `utter_chitchat_${slug}`, examples };
    responses[`utter_chitchat_${slug}`] = PERSONA_ANSWERS[slug] ?? answers.map(updateHelpline);
  }

  for (const slug of Object.keys(PERSONA_ANSWERS)) {
    if (!kept.some((k) => k.slug === slug)) throw new Error(`PERSONA_ANSWERS names '${slug}', which is not a kept pair`);
  }

  const doc = new Document({ intents, responses });
  doc.commentBefore = [
    ' Small talk for the Duet demo assistant. GENERATED by tools/build-chitchat.mts: do not edit,',
    ' change the tool and run `npx tsx tools/build-chitchat.mts`.',
    '',
    ' Source: Microsoft QnA Maker chit-chat, English, five personalities',
    ' (https://github.com/microsoft/botframework-cli, packages/qnamaker/docs/qnaFormat/english/',
    ' qna_chitchat_{friendly,caring,enthusiastic,professional,witty}.qna, commit 9fa25c6c).',
    ' Licence: MIT, Copyright (c) Microsoft Corporation.',
    '',
    ` ${kept.length} pairs kept, ${skipped.length} skipped (a dialogue intent or out_of_scope covers them),`,
    ` at most ${MAX_PHRASINGS} question phrasings each; the first response is the friendly answer, except`,
    ` where the persona (assistant.yml) answers instead: ${Object.keys(PERSONA_ANSWERS).map((slug) => `utter_chitchat_${slug}`).join(', ')}.`,
  ].join('\n');
  writeFileSync(OUTPUT, doc.toString({ lineWidth: 0 }));

  console.log(`wrote ${relative(ROOT, OUTPUT)}: ${kept.length} intents, ${total} examples`);
  console.log(`skipped ${skipped.length} pairs:\n  ${skipped.join('\n  ')}`);
}

await main();
