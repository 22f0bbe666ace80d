/**
 * docs/transcripts.md: scripted conversations with the demo assistant, rendered as Markdown.
 * Only the user turns are written here; every reply (and the reading under it) comes from the
 * assistant, so the file shows what the shipped model really does. Regenerate it with
 * `npm run docs:transcripts`; never edit the Markdown by hand.
 */
import type { TurnResult } from '../dialogue/assistant.js';
import type { DueNotice } from '../store/types.js';

/** One scripted conversation: a title, the user it runs as, and the user's turns in order. */
export interface ScriptedConversation {
  title: string;
  /** Fixed user id: each conversation has its own state and data. */
  user: string;
  turns: readonly string[];
}

/** What the transcripts need from a runtime: the `Assistant` answers to this. */
export interface TranscriptAssistant {
  handle(input: { user: string; text: string }): Promise<TurnResult>;
  claimDue(user?: string): DueNotice[];
}

export interface TranscriptOptions {
  /** The command that regenerates the file, as the header names it. */
  command: string;
  /** The model folder the replies come from, as the header names it. */
  model: string;
  /** The chat folder small talk comes from, as the header names it (none: no small talk). */
  chat?: string;
  /** The fixed clock the assistant ran on (ISO-8601, as given) and its time zone. */
  now: string;
  timeZone: string;
  /** Which conversations to play (default: all of `TRANSCRIPT_SCRIPT`). */
  conversations?: readonly ScriptedConversation[];
}

/** The clock and zone `duet transcripts` runs the assistant on: the same dates in every run. */
export const TRANSCRIPT_CLOCK = { now: '2026-11-26T09:00:00', timeZone: 'Europe/London' } as const;

/** The npm script that regenerates docs/transcripts.md. */
export const TRANSCRIPTS_NPM_SCRIPT = 'npm run docs:transcripts';

// A message well over the assistant's 1,000-character input limit, with its request up front.
const LONG_MESSAGE =
  'Remind me to call the plumber tomorrow at 8am. ' +
  'So here is the whole story, because it has been quite a week: on Monday the kitchen tap started ' +
  'dripping, just a little at first, one drop every few seconds, and I thought I could live with it. ' +
  'By Tuesday it was a steady trickle and the sound kept me awake, so I watched three videos about ' +
  'replacing washers, bought a set of spanners and a bag of washers in every size, and spent most of ' +
  'Wednesday evening under the sink with a torch in my mouth. I managed to shut the water off, take ' +
  'the tap apart and put it back together again, but now it drips from the base instead of the spout, ' +
  'there is a puddle in the cupboard, and one small part is left over that I cannot place anywhere. ' +
  'My neighbour says her plumber is reliable and not too expensive, and that he answers the phone ' +
  'early, before he goes out on jobs, which is why I want to ring him first thing. Meanwhile I have ' +
  'put a bowl under the pipe, moved the cleaning things out of the cupboard and promised myself ' +
  'never to watch another repair video again. Anyway, that is the plan for tomorrow morning, and ' +
  'after that I still need to buy a new bowl, because the old one has a crack in it as well.';

/** The 20 scripted conversations: small talk and the demo's tasks, with deliberate bad input. */
export const TRANSCRIPT_SCRIPT: readonly ScriptedConversation[] = [
  {
    title: 'Getting to know the assistant',
    user: 'transcript-01',
    turns: [
      'hi there',
      "what's your name?",
      'what can you do?',
      'are you a robot?',
      'who made you?',
      'how old are you?',
      'tell me a joke',
      'another one',
      'tell me another joke',
      'haha, thanks! bye',
    ],
  },
  {
    title: 'A reminder, corrected, then listed and cancelled',
    user: 'transcript-02',
    turns: [
      'good morning',
      'remind me to call mom tomorrow at 5pm',
      'no, make it 6pm',
      'remind me to water the plants on saturday at 10am',
      'what are my reminders',
      'what are my reminders for tomorrow',
      'cancel the plants reminder',
      'what are my reminders',
      'thank you!',
    ],
  },
  {
    title: 'A shopping list with follow-ups',
    user: 'transcript-03',
    turns: [
      'hey',
      'add eggs and bread to my shopping list',
      'and add milk too',
      "what's on my shopping list",
      'I bought the eggs',
      'remove bread from my shopping list',
      "what's on it now?",
      'clear my shopping list',
      'yes',
      'great, thanks',
    ],
  },
  {
    title: 'Kitchen timers',
    user: 'transcript-04',
    turns: [
      'hello',
      'set a pasta timer for 10 minutes',
      'set a tea timer for 4 minutes',
      'what timers are running',
      'how much time is left on the pasta timer',
      'cancel the tea timer',
      'what timers are running',
      'stop the pasta timer',
      'thanks, dinner is ready',
    ],
  },
  {
    title: 'Maths homework',
    user: 'transcript-05',
    turns: [
      'can you do maths?',
      'what is 15% of 80',
      "what's 12 times 7 plus 3",
      'what is the square root of 144',
      'calculate (3 + 4) * 5',
      'what is 2 to the power of 10',
      'divide 100 by 8',
      '100 / 8',
      "you're smart",
      'thanks, that is my homework done',
    ],
  },
  {
    title: 'Unit conversions',
    user: 'transcript-06',
    turns: [
      'convert 5 miles to km',
      'no, I meant metres',
      'how many ounces in a pound',
      'what is 180 celsius in fahrenheit',
      'convert 72 F to celsius',
      'how many cm is 6 feet',
      'and 10 km in miles?',
      'cheers',
    ],
  },
  {
    title: 'Clock and calendar',
    user: 'transcript-07',
    turns: [
      'what time is it',
      'what time is it in Tokyo',
      'and in New York?',
      "what's the date today",
      'what day of the week is July 4th 2027',
      'how many days until Christmas',
      'how many days until new year',
      'thanks, bye',
    ],
  },
  {
    title: 'Things it cannot do',
    user: 'transcript-08',
    turns: [
      'hi',
      'book me a flight to Paris',
      "what's the weather like today?",
      'ok, play some music then',
      'can you order a pizza',
      'what can you do, then?',
      'fine: remind me to order a pizza at 7pm',
      'thanks anyway',
    ],
  },
  {
    title: 'Empty, emoji and gibberish messages',
    user: 'transcript-09',
    turns: [
      '',
      '👍🎉😀',
      'asdkjh qwpoeiru zxmcnv',
      '???',
      'sorry, cat on the keyboard',
      'set a timer for 0 minutes',
      '3 minutes',
      'what timers are running',
      'bye',
    ],
  },
  {
    title: 'Filling in what was missing',
    user: 'transcript-10',
    turns: [
      'remind me to book the car service',
      'tomorrow at 9',
      'actually, make that 10am',
      'add something to my list',
      'batteries',
      'set a timer',
      '20 minutes',
      'what are my reminders',
      'perfect, thanks',
    ],
  },
  {
    title: 'Changing my mind',
    user: 'transcript-11',
    turns: [
      'set a timer for 25 minutes',
      'cancel that',
      'remind me to pay the rent',
      'never mind',
      'add apples to my shopping list',
      'undo that',
      "what's on my shopping list",
      'remind me to pay the rent on monday at 9am',
      'delete all my reminders',
      'yes',
      'what are my reminders',
    ],
  },
  {
    title: 'A very long message',
    user: 'transcript-12',
    turns: [
      'hi, I have had a long day',
      LONG_MESSAGE,
      'what are my reminders',
      'cancel reminder 1',
      'remind me to call the plumber tomorrow at 8am',
      'sorry for the essay',
      'add washers and a bowl to my shopping list',
      "what's on my shopping list",
      'how many days until saturday',
      'thanks for listening',
    ],
  },
  {
    title: 'How are you feeling?',
    user: 'transcript-13',
    turns: [
      'how are you?',
      "how's your day going?",
      "I'm bored",
      'what do you think about football?',
      'I watched a great movie last night',
      "I'm hungry",
      'add pasta and tomatoes to my shopping list',
      'I went hiking in the mountains last weekend',
      'my dog is getting old',
      "I'm so tired",
      'can I have a hug',
      'good night',
    ],
  },
  {
    title: 'Planning a party',
    user: 'transcript-14',
    turns: [
      'add balloons, cake and candles to my party list',
      'and add napkins too',
      'what lists do I have',
      "what's on my party list",
      'remind me to pick up the cake on saturday at 11am',
      'check off balloons',
      "what's on my party list",
      'how many days until December 31st',
      'this is going to be fun',
    ],
  },
  {
    title: 'Other languages',
    user: 'transcript-15',
    turns: [
      'bonjour !',
      'comment ça va ?',
      '¿Puedes recordarme llamar a mamá mañana?',
      'Wie spät ist es in Berlin?',
      'ok, in English: what time is it in Berlin',
      'and in Madrid?',
      'how many days until Christmas',
      'merci, au revoir',
    ],
  },
  {
    title: 'Testing the assistant',
    user: 'transcript-16',
    turns: [
      'is anyone there?',
      'testing, testing',
      'are you smart?',
      'who is smarter, you or Siri?',
      'do you like me?',
      "you're boring",
      'just kidding',
      'ok, what is 7 times 8 then',
      'see you later',
    ],
  },
  {
    title: 'Morning routine',
    user: 'transcript-17',
    turns: [
      'good morning!',
      'how are you today?',
      "what's the date today",
      'what are my reminders for today',
      'remind me to take out the bins tonight at 8',
      'set an egg timer for 6 minutes',
      'how much time is left on the egg timer',
      'convert 20 degrees celsius to fahrenheit',
      'have a nice day',
    ],
  },
  {
    title: 'Work to-dos',
    user: 'transcript-18',
    turns: [
      'add finish the report to my to-do list',
      'add email Sam and book the meeting room to my to-do list',
      'show my to-do list',
      'check off finish the report',
      'remind me to email Sam in 2 hours',
      'remove book the meeting room from my to-do list',
      'what lists do I have',
      "what's on my to-do list",
      'thanks, back to work',
    ],
  },
  {
    title: 'Managing reminders, with a date it cannot read',
    user: 'transcript-19',
    turns: [
      'remind me to go to the dentist next tuesday at 3pm',
      'remind me to renew my passport on the thirty-fifth of smarch',
      'monday at 9am',
      'remind me to take my pills yesterday at 9am',
      'tonight at 9',
      'what are my reminders this week',
      'what are my reminders',
      'delete reminder 2',
      'what are my reminders',
      'goodbye',
    ],
  },
  {
    title: 'Quick-fire mix',
    user: 'transcript-20',
    turns: [
      "what's 2+2",
      'thanks',
      'set a timer for 5 minutes',
      'what time is it in Sydney',
      'add milk to my shopping list',
      'and bread',
      'add bread too',
      'convert 10 km to miles',
      'what day of the week is christmas',
      "you're awesome",
      'goodbye',
    ],
  },
];

/** Plays the scripted conversations on `assistant` and returns docs/transcripts.md. */
export async function renderTranscripts(assistant: TranscriptAssistant, options: TranscriptOptions): Promise<string> {
  const conversations = options.conversations ?? TRANSCRIPT_SCRIPT;
  const userTurns = conversations.reduce((n, c) => n + c.turns.length, 0);
  const out: string[] = [
    '# Transcripts: conversations with the demo assistant',
    '',
    `<!-- GENERATED by \`${options.command}\` from src/docs/transcripts.ts. Do not edit by hand: change the script there and regenerate. -->`,
    '',
    `Generated by \`${options.command}\`, not hand-edited (regenerate it with \`${TRANSCRIPTS_NPM_SCRIPT}\`). The user turns are a fixed script in ` +
      '`src/docs/transcripts.ts`; every **Duet** reply, and the reading under it, comes from the demo assistant ' +
      `(model \`${options.model}\`${options.chat ? `, small talk from the chat ranker \`${options.chat}\`` : ''}) as it answered. ` +
      `${conversations.length} conversations, ${userTurns} user turns.`,
    '',
    `The clock is fixed at ${options.now} (${options.timeZone}), each run uses a fresh, empty store, and each ` +
      'conversation is a different user, so the file is the same on every run. Under each reply, in small text: ' +
      'the intent the model read and its confidence, the slots it read from the message, the skill the turn ran ' +
      '(with the outcome), and, for small talk, where the reply came from (a persona fact, or retrieval with its score).',
    '',
    ...conversations.map((c, i) => `${i + 1}. [${escapeText(c.title)}](#${anchor(i)})`),
  ];
  for (const [i, conversation] of conversations.entries()) {
    out.push('', `<a id="${anchor(i)}"></a>`, '', `## ${i + 1}. ${escapeText(conversation.title)}`);
    for (const text of conversation.turns) {
      const result = await assistant.handle({ user: conversation.user, text });
      const notices = assistant.claimDue(conversation.user);
      out.push('', userLine(text), '', `**Duet:** ${escapeText(result.reply)}`);
      for (const notice of notices) out.push('', `⏰ ${escapeText(noticeText(notice))}`);
      out.push('', `<sub>${escapeText(readingLine(result))}</sub>`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** A user turn as the transcript shows it. */
export function userLine(text: string): string {
  return `**User:** ${text.trim() ? escapeText(text) : '*(an empty message)*'}`;
}

/** "intent set_reminder 0.97 · task "call mom" · when "tomorrow at 5pm" · → reminders.create: done". */
export function readingLine(result: TurnResult): string {
  const parts = [`intent ${result.intent} ${result.confidence.toFixed(2)}`];
  for (const [slot, value] of Object.entries(result.slots)) parts.push(`${slot} "${value}"`);
  if (result.action) parts.push(`→ ${result.action.skill}: ${result.action.status.replace(/_/g, ' ')}`);
  if (result.chat) parts.push(`small talk: ${result.chat.source} ${result.chat.score.toFixed(2)}`);
  return parts.join(' · ');
}

function noticeText(notice: DueNotice): string {
  return notice.kind === 'reminder' ? `Reminder: ${notice.reminder.text}` : `Time's up${notice.timer.name ? ` for the ${notice.timer.name} timer` : ''}!`;
}

function anchor(index: number): string {
  return `conversation-${index + 1}`;
}

/** Message text as literal Markdown: no emphasis, links or HTML from what a user typed; line breaks kept. */
function escapeText(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]~])/g, '\\$1')
    .replace(/\r?\n/g, '<br>');
}
