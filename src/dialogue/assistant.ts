/**
 * The runtime of an assistant: one `handle(turn)` call per user message. It asks the model what
 * the user meant, lets the dialogue policies decide (start or continue a task, fill a slot,
 * confirm, correct, cancel, digress, chat, decline), runs skills with validated arguments, and
 * persists the turn as conversation events. The state of a conversation is the replay of its
 * events (src/dialogue/events.ts).
 */
import { fillPersona } from '../data/definition/persona.js';
import type { AssistantDefinition } from '../data/types.js';
import type { Skill, SkillContext, SkillSlot } from '../skills/types.js';
import type { DueNotice, Store } from '../store/types.js';
import { readRequestSlots, readSlotsFromSpans, slotTexts } from './slot-spans.js';
import type { ContextMode } from '../model/config.js';
import type { UnderstandContext } from '../model/context-encoding.js';
import { restoreMemory, storeMemory } from './conversation-memory.js';
import { textsForStyle, type ChatPersona } from './persona.js';
import { applyEvent, replay, type ConversationEvent, type ConversationState, type FinishedTask, type TaskState, type TurnSlot } from './events.js';

/**
 * What the runtime needs from a model (a `DuetModel`, or a fake in tests). A context-mode model
 * says so with `contextMode`, and the runtime then passes each message's context: the recent
 * turns (concat and memory modes) and the conversation's stored memory (memory mode).
 */
export interface Understander {
  understand(
    text: string,
    context?: UnderstandContext,
  ): Promise<{
    intent: string;
    confidence: number;
    slots: TurnSlot[];
    /** The most likely intents, best first (optional: used to read a message in context). */
    ranking?: { intent: string; confidence: number }[];
    /** Set by the dialogue manager when the conversation's context chose the intent (`readInContext`). */
    inContext?: boolean;
    /** Memory mode: the model's memory after this message, stored with the conversation for its next one. */
    memory?: Float32Array;
  }>;
  /** The message's spans read with at least one span of `slot`, if the model finds that plausible (optional). */
  understandRequiring?(text: string, slot: string, context?: UnderstandContext): Promise<TurnSlot[] | null>;
  /** How the model reads the conversation; absent: "none", the message alone. */
  readonly contextMode?: ContextMode;
  /** Memory mode: the shape [k, C] of the model's memory. */
  readonly memoryShape?: readonly [number, number];
  /** Memory mode: identifies the model's weights; a stored memory written by another model is not fed back. */
  readonly fingerprint?: string;
}

/** A small-talk reply from a `Chatter`: a persona fact, retrieved from an index, or generated. */
export interface ChatReply {
  text: string;
  source: 'persona' | 'retrieval' | 'generation';
  /**
   * The ranker's cosine of the best candidate (for a generated reply: of the best one it passed
   * over); for a persona fact, the share of the message's content words it contains.
   */
  score: number;
}

/** Replies for turns that are not tasks (src/dialogue/chatter.ts). */
export interface Chatter {
  /**
   * A reply to `text` after `context` (earlier messages, oldest first), none of `exclude`; null
   * when none fits. `persona`: who the assistant is, when the definition says. `onText`: called
   * with consecutive parts of a reply that is still being written (a generated one), each part
   * final and the parts together the start of the reply returned.
   */
  reply(input: { context: string[]; text: string; exclude: ReadonlySet<string>; persona?: ChatPersona; onText?: (part: string) => void }): Promise<ChatReply | null>;
}

export type ActionStatus = 'done' | 'needs_slot' | 'needs_confirmation' | 'cancelled' | 'failed';

/** The skill call a turn led to. */
export interface ActionReport {
  skill: string;
  args: Record<string, unknown>;
  status: ActionStatus;
  result: unknown;
}

/** Everything one turn produced. */
export interface TurnResult {
  reply: string;
  intent: string;
  confidence: number;
  /** Slot name → value, as the model read them from this message. */
  slots: Record<string, string>;
  action: ActionReport | null;
  /** Set when the reply came from the chatter. */
  chat?: { source: ChatReply['source']; score: number };
}

export interface AssistantOptions {
  understander: Understander;
  /**
   * Answers turns the model finds out of scope, when no question is pending, instead of the
   * refusal (optional; without it such turns are declined as before).
   */
  chatter?: Chatter;
  definition: AssistantDefinition;
  /** Skills by name; an intent's `skill:` picks one. */
  skills: Iterable<Skill>;
  store: Store;
  /** IANA zone in which users' dates are read and written. */
  timeZone: string;
  /** The clock (fixed in scripted runs and tests). */
  now?: () => Date;
  /** Longer messages are cut to this many characters, with a notice (default 1,000). */
  maxInputChars?: number;
  /**
   * Keep each conversation's state in memory between turns (default true). Turn it off when
   * several processes share one store (PostgreSQL): each turn then replays the stored events, so
   * a turn handled by another process is never missed.
   */
  cacheConversations?: boolean;
  /** Where warnings go, one line each (a stored memory the model cannot read); default stderr. */
  log?: (line: string) => void;
}

/** An answer that does not read as the value asked for changes the subject at lower confidence. */
const UNREADABLE_ANSWER_DIGRESSION_CONFIDENCE = 0.5;
const TEXT_ANSWER_DIGRESSION_CONFIDENCE = 0.9;
const QUESTION_DIGRESSION_CONFIDENCE = 0.3;
/** How plausible the model must find a request about the task in hand to prefer it to small talk. */
const CONTEXT_ALTERNATIVE_CONFIDENCE = 0.2;
const CORRECTION_LEAD = /^\s*(no+|nope|actually|sorry|oops|wait|i meant|i mean|make (it|that)|change (it|that))\b/i;
/** Words that point back to something already talked about ("what's on it?", "add cheese to that too"). */
const REFERS_BACK = /\b(it|that|there|this|that one|the same)\b/i;
const ONLY_CANCEL =
  /^\W*(?:(?:oh|ok|okay|no|please|actually|wait)\W+)*(?:cancel(?: that| it| this)?|never ?mind|forget (?:it|that|about it)|scrap (?:that|it)|scratch that|don'?t bother|stop|abort|quit it)(?:\W+(?:please|thanks|then))*\W*$/i;
/** The start of an elliptical follow-up: "and in Tokyo?", "what about 10 miles?". */
const FOLLOW_UP = /^\s*(?:and|what about|how about|and what about|and how about)\b[,\s]*/i;
/** A span of nothing but little words ("my", "the"): no value at all. */
const FILLER_ONLY_TEXT = /^\W*(?:(?:the|a|an|to|on|at|in|for|and|my|of|it|me|please)\W*)*$/i;
/** Words that stand for a value not said yet ("add something to my list"): the value is still to ask for. */
const PLACEHOLDER = /^\s*(?:some ?thing|anything|stuff|things|an? (?:item|thing|few things)|some (?:items|things|stuff)|it|them|this|that)\s*$/i;
const CANCEL_WORDS = /\b(cancel|never ?mind|forget (it|that|about it)|undo|scrap that|don'?t bother)\b/i;

type IntentKind = 'task' | 'affirm' | 'deny' | 'cancel' | 'correct' | 'help' | 'out_of_scope' | 'response' | 'unknown';

/** Per-turn working set: the events so far (applied to the state as they are added) and the reply parts. */
class TurnBuilder {
  readonly events: ConversationEvent[] = [];
  readonly replies: string[] = [];
  action: ActionReport | null = null;
  /** The chatter's reply, asked for before the policies run (they are synchronous). */
  chat: ChatReply | null = null;
  /** Whether this turn already led back to an interrupted task. */
  resumed = false;
  constructor(public state: ConversationState) {}
  add(event: ConversationEvent): void {
    this.events.push(event);
    this.state = applyEvent(this.state, event);
  }
  say(text: string): void {
    if (text) this.replies.push(text);
  }
  top(): TaskState | undefined {
    return this.state.stack[this.state.stack.length - 1];
  }
}

interface SlotProblem {
  slot: string;
  reason: string;
  example?: string;
}

export class Assistant {
  readonly definition: AssistantDefinition;
  private readonly skills = new Map<string, Skill>();
  private readonly states = new Map<string, ConversationState>();
  private readonly understander: Understander;
  private readonly chatter: Chatter | undefined;
  private readonly store: Store;
  private readonly now: () => Date;
  private readonly maxInputChars: number;
  private readonly cacheConversations: boolean;
  private readonly log: (line: string) => void;
  readonly timeZone: string;
  private taskCounter = 0;

  constructor(options: AssistantOptions) {
    this.definition = options.definition;
    this.understander = options.understander;
    this.chatter = options.chatter;
    this.store = options.store;
    this.timeZone = options.timeZone;
    this.now = options.now ?? (() => new Date());
    this.maxInputChars = options.maxInputChars ?? 1000;
    this.cacheConversations = options.cacheConversations ?? true;
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    for (const skill of options.skills) this.skills.set(skill.name, skill);
  }

  /** Skill names the definition binds that no registered skill provides. */
  missingSkills(): string[] {
    return this.definition.intents.flatMap((i) => (i.skill && !this.skills.has(i.skill) ? [i.skill] : []));
  }

  /** The state of a conversation: cached, or rebuilt by replaying its stored events. */
  conversationState(conversation: string): ConversationState {
    let state = this.cacheConversations ? this.states.get(conversation) : undefined;
    if (!state) {
      state = replay(this.store.loadEvents(conversation).map((e) => e.data as ConversationEvent));
      if (this.cacheConversations) this.states.set(conversation, state);
    }
    return state;
  }

  /** Drops every cached conversation state: the next turn of each replays it from the store. */
  forgetConversations(): void {
    this.states.clear();
  }

  /** Reminders and timers that are due, each handed out once (see `Store.claimDue`). */
  claimDue(user?: string): DueNotice[] {
    return this.store.claimDue(this.now(), user);
  }

  /**
   * Handles one user message and returns the reply; the turn's events are persisted before it
   * returns. `onReplyText` receives the start of a reply still being written (small talk the
   * chatter generates), in parts, as they are final: the parts together begin `reply`, and the
   * caller sends the rest of `reply` when the turn ends.
   */
  async handle(input: { user: string; text: string; conversation?: string; onReplyText?: (part: string) => void }): Promise<TurnResult> {
    const conversation = input.conversation ?? input.user;
    const now = this.now();
    const ctx: SkillContext = { user: input.user, now, timeZone: this.timeZone, store: this.store.forUser(input.user) };
    const turn = new TurnBuilder(this.conversationState(conversation));
    let text = input.text.replace(/\s+/g, ' ').trim();
    if (text.length > this.maxInputChars) {
      text = text.slice(0, this.maxInputChars);
      turn.say(`(That was a long message: I read only its first ${this.maxInputChars.toLocaleString('en')} characters.)`);
    }
    const reading = this.readingContext(conversation, turn.state);
    const read = text ? await this.understander.understand(text, reading.context) : undefined;
    let understood = read ?? { intent: this.definition.outOfScopeIntent ?? 'out_of_scope', confidence: 0, slots: [] };
    if (ONLY_CANCEL.test(text) && this.kind(understood.intent) !== 'cancel' && this.definition.intents.some((i) => i.name === 'cancel')) {
      // A message that is nothing but a cancel phrase ("scrap that", "stop") means cancel, whatever
      // the model made of it: acting on such a message as a request could clear a list.
      understood = { intent: 'cancel', confidence: 1, slots: [] };
    }
    understood = this.readInContext(turn.state, text, understood);
    understood = await this.readRequiredTexts(text, understood, reading.context);
    const outOfScope = this.kind(understood.intent) === 'out_of_scope' || this.kind(understood.intent) === 'unknown';
    if (this.chatter && text && outOfScope && !turn.top()?.awaiting) {
      const recent = turn.state.recentTurns;
      // The chat reply is the whole reply of such a turn unless something was said before it (a cut
      // message) or the message follows up a task ("and what about …", decide() may run it): only
      // a reply sure to be the whole one is streamed.
      const streams = input.onReplyText && turn.replies.length === 0 && !FOLLOW_UP.test(text);
      turn.chat = await this.chatter.reply({
        context: recent.map((t) => t.text),
        text,
        exclude: new Set(recent.filter((t) => t.speaker === 'bot').map((t) => t.text)),
        ...(this.definition.persona && { persona: this.definition.persona }),
        ...(streams && { onText: input.onReplyText }),
      });
    }
    turn.add({ type: 'user', text, intent: understood.intent, confidence: understood.confidence, slots: understood.slots, ...this.memoryAfter(read?.memory, reading.reset) });

    if (!text) turn.say('Say something, or ask "what can you do?"');
    else this.decide(turn, text, understood, ctx);

    const stored = this.store.appendEvents(conversation, [...turn.events, { type: 'bot', text: turn.replies.join(' ') }], now);
    if (this.cacheConversations) this.states.set(conversation, applyEvent(turn.state, { type: 'bot', text: turn.replies.join(' ') }));
    void stored;
    const slots: Record<string, string> = {};
    for (const s of understood.slots) slots[s.slot] = slots[s.slot] ? `${slots[s.slot]}, ${s.value}` : s.value;
    const chat = turn.chat && turn.replies.includes(turn.chat.text) ? { chat: { source: turn.chat.source, score: turn.chat.score } } : {};
    return { reply: turn.replies.join(' '), intent: understood.intent, confidence: understood.confidence, slots, action: turn.action, ...chat };
  }

  /**
   * What the model reads besides the message, by its context mode: the recent turns (the
   * assistant's as 'assistant'), and in memory mode the conversation's stored memory when this
   * model wrote it. Any other stored memory is dropped with one warning (`reset`: the turn's
   * event then records the reset, so the warning is not repeated), never fed to the model.
   */
  private readingContext(conversation: string, state: ConversationState): { context?: UnderstandContext; reset: boolean } {
    const mode = this.understander.contextMode ?? 'none';
    if (mode === 'none') return { reset: false };
    const history = state.recentTurns.map((t) => ({ speaker: t.speaker === 'bot' ? ('assistant' as const) : ('user' as const), text: t.text }));
    if (mode !== 'memory' || !state.memory) return { context: { history }, reset: false };
    const restored = restoreMemory(state.memory, this.memoryOwner());
    if ('memory' in restored) return { context: { history, memory: restored.memory }, reset: false };
    this.log(`warning: conversation "${conversation}": ${restored.problem}; it goes on from the model's initial memory`);
    return { context: { history }, reset: true };
  }

  /** The memory field of a turn's 'user' event (memory mode): the new memory, a reset, or nothing. */
  private memoryAfter(memory: Float32Array | undefined, reset: boolean): { memory?: ConversationState['memory'] | null } {
    if (this.understander.contextMode !== 'memory') return {};
    if (memory) return { memory: storeMemory(memory, this.memoryOwner()) };
    return reset ? { memory: null } : {};
  }

  private memoryOwner(): { fingerprint: string; shape?: readonly [number, number] } {
    return { fingerprint: this.understander.fingerprint ?? 'unknown', shape: this.understander.memoryShape };
  }

  /**
   * "What's on it?" while the shopping list waits to be cleared: a message that points back at
   * the task being talked about, heard as small talk or out of scope, is read as the request
   * about that task the model found plausible (a task sharing one of its values), if there is one.
   */
  private readInContext(
    state: ConversationState,
    text: string,
    u: Awaited<ReturnType<Understander['understand']>>,
  ): Awaited<ReturnType<Understander['understand']>> {
    const kind = this.kind(u.intent);
    if ((kind !== 'response' && kind !== 'out_of_scope') || !u.ranking || !REFERS_BACK.test(outsideSpans(text, u.slots))) return u;
    const recent = state.lastFinished && !state.lastFinished.undone && state.lastFinished.turn >= state.turns - 2 ? state.lastFinished : null;
    const about = state.stack.at(-1) ?? recent;
    const aboutSkill = about ? this.skills.get(about.skill) : undefined;
    if (!about || !aboutSkill) return u;
    const sharesAValue = (intent: string) => {
      const skillName = this.definition.intents.find((i) => i.name === intent)?.skill;
      const skill = skillName ? this.skills.get(skillName) : undefined;
      return skill?.slots.some((s) => about.values[s.name] !== undefined && aboutSkill.slots.some((a) => a.name === s.name)) ?? false;
    };
    const alternative = u.ranking.find((r) => r.intent !== u.intent && r.confidence >= CONTEXT_ALTERNATIVE_CONFIDENCE && this.kind(r.intent) === 'task' && sharesAValue(r.intent));
    return alternative ? { ...u, intent: alternative.intent, confidence: alternative.confidence, inContext: true } : u;
  }

  /**
   * A new request without the free text it cannot go without ("add crisps to my shopping list"
   * with "crisps" left untagged): read again by the model with that value required, else by the
   * slot's `frame` for the commonest phrasing; asking for it stays the last resort.
   */
  private async readRequiredTexts(
    text: string,
    u: Awaited<ReturnType<Understander['understand']>>,
    context?: UnderstandContext,
  ): Promise<Awaited<ReturnType<Understander['understand']>>> {
    if (this.kind(u.intent) !== 'task') return u;
    const skillName = this.definition.intents.find((i) => i.name === u.intent)?.skill;
    const skill = skillName ? this.skills.get(skillName) : undefined;
    let slots = u.slots;
    for (const spec of skill?.slots.filter((s) => s.required && isTextSlot(s)) ?? []) {
      const has = (list: TurnSlot[]) => list.some((s) => s.slot === spec.name && !FILLER_ONLY_TEXT.test(s.text) && !PLACEHOLDER.test(s.text));
      if (has(slots)) continue;
      // Only a value in words the first reading left untagged: never one made of another value ("6pm").
      const untagged = (span: TurnSlot) => !slots.some((s) => s.start < span.end && span.start < s.end);
      const reread = (await this.understander.understandRequiring?.(text, spec.name, context))?.filter((s) => s.slot === spec.name && untagged(s));
      if (reread && has(reread)) {
        slots = [...slots, ...reread];
        continue;
      }
      const m = spec.frame ? new RegExp(spec.frame.source, `${spec.frame.flags.replace('d', '')}d`).exec(text) : null;
      const at = m?.indices?.[1];
      if (m && at && m[1].trim() && !PLACEHOLDER.test(m[1])) slots = [...slots.filter((s) => s.end <= at[0] || s.start >= at[1]), { slot: spec.name, value: m[1], text: m[1], start: at[0], end: at[1] }];
    }
    return slots === u.slots ? u : { ...u, slots };
  }

  private kind(intent: string): IntentKind {
    if (intent === this.definition.outOfScopeIntent || intent === 'out_of_scope') return 'out_of_scope';
    if (['affirm', 'deny', 'cancel', 'correct', 'help'].includes(intent)) return intent as IntentKind;
    const def = this.definition.intents.find((i) => i.name === intent);
    if (def?.skill) return 'task';
    if (def?.response) return 'response';
    return 'unknown';
  }

  private decide(turn: TurnBuilder, text: string, u: Awaited<ReturnType<Understander['understand']>>, ctx: SkillContext): void {
    const top = turn.top();
    if (top?.awaiting?.kind === 'confirmation') return this.onConfirmationAnswer(turn, top, text, u, ctx);
    if (top?.awaiting?.kind === 'slot') return this.onSlotAnswer(turn, top, top.awaiting.slot, text, u, ctx);
    this.onFreshTurn(turn, text, u, ctx);
  }

  /** A turn with no question pending. */
  private onFreshTurn(turn: TurnBuilder, text: string, u: Awaited<ReturnType<Understander['understand']>>, ctx: SkillContext): void {
    const kind = this.kind(u.intent);
    const last = turn.state.lastFinished;
    const lastIsRecent = last && !last.undone && last.turn === turn.state.turns - 1;
    if (kind === 'correct' && u.slots.length === 0 && CANCEL_WORDS.test(text)) {
      // "Actually, cancel that": the model hears a correction, the words say cancel.
      if (lastIsRecent && last.undoable) return this.undoFinished(turn, ctx);
      return turn.say("There's nothing to cancel.");
    }
    if (kind === 'correct' || (kind === 'task' && lastIsRecent && last.intent === u.intent && CORRECTION_LEAD.test(text))) {
      if (last && !last.undone) return this.correctFinished(turn, text, u, ctx);
      if (kind === 'correct') return turn.say("There's nothing to change yet. What would you like to do?");
    }
    const followable = last && !last.undone && last.turn >= turn.state.turns - 3 && (kind !== 'task' || u.intent === last.intent);
    if (followable && FOLLOW_UP.test(text) && this.followUp(turn, last, text, u.slots, ctx)) return;
    switch (kind) {
      case 'task':
        return this.startTask(turn, u.intent, text, u.slots, ctx);
      case 'cancel':
        if (lastIsRecent && last.undoable) return this.undoFinished(turn, ctx);
        return turn.say("There's nothing to cancel.");
      case 'affirm':
      case 'deny':
        return turn.say(this.responseFor(u.intent, turn, u.slots) ?? 'OK.');
      case 'help':
        return turn.say(this.helpText(turn));
      case 'out_of_scope':
      case 'unknown':
        return turn.say(turn.chat?.text ?? this.outOfScopeText());
      case 'response':
        return turn.say(this.responseFor(u.intent, turn, u.slots) ?? 'OK.');
    }
  }

  /** The answer to "which X?" for the task on top. */
  private onSlotAnswer(
    turn: TurnBuilder,
    task: TaskState,
    slotName: string,
    text: string,
    u: Awaited<ReturnType<Understander['understand']>>,
    ctx: SkillContext,
  ): void {
    const skill = this.skills.get(task.skill)!;
    const spec = skill.slots.find((s) => s.name === slotName);
    const kind = this.kind(u.intent);
    if (kind === 'cancel' || kind === 'deny') return this.cancelTop(turn, task);
    if (!spec) return this.advance(turn, task, [], ctx);
    const problems: SlotProblem[] = [];
    const awaitedFilled = () => turn.state.stack.find((t) => t.id === task.id)?.values[slotName] !== undefined;
    // "No, make it 6pm" while the task is still asking: a correction of the task in progress.
    if (kind === 'correct') {
      const before = turn.events.length;
      const corrections: SlotProblem[] = [];
      this.fillFromSpans(turn, task, skill, u.slots, corrections, ctx, true, text);
      // Something was corrected: go on with the question. Unreadable "corrections" are more
      // likely a plain answer the model heard as a correction ("to move the car"): read it as one.
      if (awaitedFilled() || turn.events.length > before) return this.advance(turn, task, [], ctx);
    }
    // The whole answer is exactly a value ("tomorrow at 5", "in 10 minutes").
    const whole = stripFragmentFiller(text);
    const strict = whole ? spec.parse(whole, ctx) : null;
    const exactValue = !isTextSlot(spec) && strict?.ok === true;
    // A restated request ("remind me at 5 to call mom", "oh wait, add the report to my work
    // list"): what it says wins over what was said before.
    if (u.intent === task.intent && !exactValue) {
      const before = turn.events.length;
      this.fillFromSpans(turn, task, skill, u.slots, problems, ctx, true, text);
      // It answered another open question ("tomorrow at noon" when asked what about): ask again.
      if (awaitedFilled() || problems.length > 0 || turn.events.length > before) return this.advance(turn, task, problems, ctx);
    }
    // A free-text answer ("the bread one") easily looks like some other request to the model:
    // it takes a surer model to call it a change of subject.
    // A question that is not the value ("what can you do?" when asked how long) is surely
    // another subject: the model's guess of which one need not be sure.
    const question = !isTextSlot(spec) && this.isQuestion(text) && !this.readsAs(spec, text, ctx);
    const needed = u.inContext
      ? 0
      : isTextSlot(spec)
        ? TEXT_ANSWER_DIGRESSION_CONFIDENCE
        : question
          ? QUESTION_DIGRESSION_CONFIDENCE
          : UNREADABLE_ANSWER_DIGRESSION_CONFIDENCE;
    const changingSubject = this.isOtherSubject(u, task) && u.confidence >= needed;
    if (changingSubject && !exactValue) {
      if (isTextSlot(spec) ? this.looksLikeNewRequest(text, u) : u.confidence >= TEXT_ANSWER_DIGRESSION_CONFIDENCE || !this.readsAs(spec, text, ctx)) {
        return this.digress(turn, text, u, ctx);
      }
    }
    // "tomorrow at noon" when asked what the reminder is about: an answer to another question
    // of the same task that is still open.
    if (isTextSlot(spec) && whole) {
      const values = turn.state.stack.find((t) => t.id === task.id)?.values ?? {};
      for (const other of skill.slots.filter((s) => s !== spec && !isTextSlot(s) && values[s.name] === undefined)) {
        const parsed = other.parse(whole, ctx);
        if (parsed.ok) {
          turn.add({ type: 'slot_set', task: task.id, slot: other.name, value: parsed.value, text: whole });
          return this.advance(turn, task, [], ctx);
        }
      }
    }
    const otherSlots = u.slots.some((s) => s.slot !== slotName && skill.slots.some((x) => x.name === s.slot));
    const fromSpan = slotTexts(text, u.slots).get(slotName)?.join(isTextSlot(spec) ? ' and ' : ' ');
    let value: ReturnType<Assistant['readSlot']>;
    if (exactValue && strict?.ok) value = { ok: true, value: strict.value, text: whole };
    else if (isTextSlot(spec)) value = this.readSlot(spec, otherSlots && fromSpan ? fromSpan : whole || text, text, ctx);
    else value = this.readSlot(spec, fromSpan ?? text, text, ctx);
    if (value.ok) {
      turn.add({ type: 'slot_set', task: task.id, slot: slotName, value: value.value, text: value.text });
      // Other slots of this task mentioned in the same answer ("call mom at 5").
      if (otherSlots) this.fillFromSpans(turn, task, skill, u.slots.filter((s) => s.slot !== slotName), problems, ctx, false, text);
      return this.advance(turn, task, problems, ctx);
    }
    if (changingSubject) return this.digress(turn, text, u, ctx);
    this.advance(turn, task, [{ slot: slotName, reason: value.reason, example: value.example ?? spec.example }], ctx);
  }

  private onConfirmationAnswer(
    turn: TurnBuilder,
    task: TaskState,
    text: string,
    u: Awaited<ReturnType<Understander['understand']>>,
    ctx: SkillContext,
  ): void {
    const kind = this.kind(u.intent);
    const yes = kind === 'affirm' || /^\s*(y|yes|yeah|yep|yup|sure|ok|okay|do it|go ahead|confirm(ed)?)\s*[.!]*\s*$/i.test(text);
    const no = kind === 'deny' || kind === 'cancel' || /^\s*(n|no|nope|nah|don'?t|stop|cancel)\s*[.!]*\s*$/i.test(text);
    if (yes && !no) return this.runTask(turn, task, ctx);
    if (no) return this.cancelTop(turn, task);
    if (kind === 'correct') {
      const skill = this.skills.get(task.skill)!;
      const problems: SlotProblem[] = [];
      this.fillFromSpans(turn, task, skill, u.slots, problems, ctx, true, text);
      return this.advance(turn, task, problems, ctx);
    }
    // "hmm" or "wait" is not a new request: only a sure one interrupts a yes/no question.
    const needed = u.inContext ? 0 : this.isQuestion(text) ? QUESTION_DIGRESSION_CONFIDENCE : TEXT_ANSWER_DIGRESSION_CONFIDENCE - 0.05;
    if (this.isOtherSubject(u, task) && u.confidence >= needed) return this.digress(turn, text, u, ctx);
    turn.say(`Please answer yes or no. ${task.awaiting?.kind === 'confirmation' ? task.awaiting.question : ''}`.trim());
    turn.action = this.report(task, 'needs_confirmation', null);
  }

  /** Another subject in the middle of a task: handle it, then go back to the task. */
  private digress(turn: TurnBuilder, text: string, u: Awaited<ReturnType<Understander['understand']>>, ctx: SkillContext): void {
    const depth = turn.state.stack.length;
    this.onFreshTurn(turn, text, u, ctx);
    const top = turn.top();
    if (top && turn.state.stack.length <= depth) this.resumePrompt(turn, top);
  }

  /** Says what the interrupted task was waiting for. */
  private resumePrompt(turn: TurnBuilder, task: TaskState): void {
    const skill = this.skills.get(task.skill);
    const awaiting = task.awaiting;
    if (!skill || !awaiting || turn.resumed) return;
    turn.resumed = true;
    const question = awaiting.kind === 'confirmation' ? awaiting.question : skill.slots.find((s) => s.name === awaiting.slot)?.prompt;
    if (question) turn.say(`Back to what we were doing: ${question}`);
  }

  private startTask(turn: TurnBuilder, intent: string, text: string, spans: TurnSlot[], ctx: SkillContext): void {
    const skillName = this.definition.intents.find((i) => i.name === intent)?.skill;
    const skill = skillName ? this.skills.get(skillName) : undefined;
    if (!skill) {
      turn.say(`Sorry, the skill "${skillName}" for "${intent}" is not available.`);
      turn.action = { skill: skillName ?? intent, args: {}, status: 'failed', result: null };
      return;
    }
    const id = `t${Date.now().toString(36)}${(this.taskCounter++).toString(36)}`;
    turn.add({ type: 'task_started', task: id, skill: skill.name, intent });
    const problems: SlotProblem[] = [];
    const readings = readRequestSlots(skill.slots, text, spans, ctx);
    for (const reading of readings) {
      if (reading.ok) turn.add({ type: 'slot_set', task: id, slot: reading.slot, value: reading.value, text: reading.text });
      else problems.push({ slot: reading.slot, reason: reading.reason, example: reading.example });
    }
    this.carryOver(turn, id, skill, outsideSpans(text, spans), readings.map((r) => r.slot));
    this.advance(turn, turn.top()!, problems, ctx);
  }

  /**
   * "What's on it?" while clearing the shopping list, "add cheese to it too" after adding to it:
   * an optional value the user points back to with a pronoun comes from the task being talked
   * about (the interrupted one, else the one just finished), when that task has the same slot.
   */
  private carryOver(turn: TurnBuilder, id: string, skill: Skill, text: string, given: string[]): void {
    if (!REFERS_BACK.test(text)) return;
    const state = turn.state;
    const earlier = state.stack.filter((t) => t.id !== id).at(-1) ?? (state.lastFinished && !state.lastFinished.undone ? state.lastFinished : null);
    if (!earlier) return;
    for (const spec of skill.slots) {
      if (spec.required || given.includes(spec.name)) continue;
      const value = earlier.values[spec.name];
      const said = earlier.texts[spec.name];
      if (value === undefined || said === undefined) continue;
      turn.add({ type: 'slot_set', task: id, slot: spec.name, value, text: said });
    }
  }

  /**
   * Reads the model's spans into the task's slots (pieces of one value are joined, see
   * slot-spans.ts). A typed value the span does not hold ("km to miles" tagged as the unit) is
   * looked for in the whole utterance before it counts as a problem.
   */
  private fillFromSpans(
    turn: TurnBuilder,
    task: TaskState,
    skill: Skill,
    spans: TurnSlot[],
    problems: SlotProblem[],
    ctx: SkillContext,
    replace = true,
    utterance: string,
  ): void {
    for (const reading of readSlotsFromSpans(skill.slots, utterance, spans, ctx)) {
      if (!replace && turn.top()?.values[reading.slot] !== undefined) continue;
      if (reading.ok) turn.add({ type: 'slot_set', task: task.id, slot: reading.slot, value: reading.value, text: reading.text });
      else problems.push({ slot: reading.slot, reason: reading.reason, example: reading.example });
    }
  }

  /** A slot from a span's text, else from the whole answer (parsed, or found inside it). */
  private readSlot(
    spec: SkillSlot,
    primary: string,
    whole: string,
    ctx: SkillContext,
  ): { ok: true; value: unknown; text: string } | { ok: false; reason: string; example?: string } {
    const candidates = isTextSlot(spec) ? [primary, stripFragmentFiller(whole)] : [primary, stripFragmentFiller(whole), whole];
    let firstError: { ok: false; reason: string; example?: string } | null = null;
    for (const candidate of candidates) {
      if (!candidate) continue;
      const parsed = spec.parse(candidate, ctx);
      if (parsed.ok) return { ok: true, value: parsed.value, text: candidate };
      firstError ??= parsed;
    }
    const found = spec.find?.(whole, ctx);
    if (found) return { ok: true, value: found.value, text: found.text };
    return firstError ?? { ok: false, reason: `I couldn't read that.`, example: spec.example };
  }

  private readsAs(spec: SkillSlot, text: string, ctx: SkillContext): boolean {
    return this.readSlot(spec, text, text, ctx).ok;
  }

  /**
   * Whether a reply to a free-text question ("what should I remind you about?") is a new request
   * rather than the answer: a question ("what's 12 times 12?"), small talk or help, or another
   * task said in full (with two or more of its values: "add milk to my shopping list"). "Put the
   * bins out" is an answer, even if it also sounds like a to-do.
   */
  private looksLikeNewRequest(text: string, u: { intent: string; slots: TurnSlot[] }): boolean {
    if (this.kind(u.intent) !== 'task') return true;
    return this.isQuestion(text) || u.slots.length >= 2;
  }

  private isQuestion(text: string): boolean {
    return /\?\s*$/.test(text) || /^\s*(hang on,?\s*|wait,?\s*|oh,?\s*|btw,?\s*|by the way,?\s*)?(what|what's|whats|how|when|where|who|which|is|are|can|could|do|does|will|would)\b/i.test(text);
  }

  /** Whether the model heard something other than an answer for `task` (another task, small talk, help). */
  private isOtherSubject(u: { intent: string }, task: TaskState): boolean {
    const kind = this.kind(u.intent);
    return (kind === 'task' && u.intent !== task.intent) || kind === 'help' || kind === 'response';
  }

  /** Moves a task on: re-ask an invalid slot, ask a missing one, validate, confirm, or run. */
  private advance(turn: TurnBuilder, task: TaskState, problems: SlotProblem[], ctx: SkillContext): void {
    const skill = this.skills.get(task.skill)!;
    const current = () => turn.state.stack.find((t) => t.id === task.id)!;
    const problem = problems[0];
    if (problem) {
      const spec = skill.slots.find((s) => s.name === problem.slot);
      turn.add({ type: 'slot_cleared', task: task.id, slot: problem.slot });
      turn.add({ type: 'slot_requested', task: task.id, slot: problem.slot });
      turn.say(`${problem.reason} ${spec?.prompt ?? ''}${problem.example ? ` For example: "${problem.example}".` : ''}`.trim());
      turn.action = this.report(current(), 'needs_slot', null);
      return;
    }
    const missing = skill.slots.find((s) => s.required && current().values[s.name] === undefined);
    if (missing) {
      turn.add({ type: 'slot_requested', task: task.id, slot: missing.name });
      turn.say(missing.prompt);
      turn.action = this.report(current(), 'needs_slot', null);
      return;
    }
    const args = skill.args.safeParse(current().values);
    if (!args.success) {
      const issue = args.error.issues[0];
      const slot = String(issue?.path[0] ?? '');
      const spec = skill.slots.find((s) => s.name === slot);
      if (spec) return this.advance(turn, task, [{ slot, reason: `That ${slot} doesn't look right (${issue.message}).`, example: spec.example }], ctx);
      turn.add({ type: 'task_failed', task: task.id, reason: issue?.message ?? 'invalid arguments' });
      turn.say(`Sorry, I couldn't do that: ${issue?.message ?? 'the details are not valid'}.`);
      turn.action = this.report(task, 'failed', null);
      return;
    }
    const invalid = skill.validate?.(args.data, ctx);
    if (invalid) return this.advance(turn, task, [invalid], ctx);
    const question = skill.confirm?.(args.data, ctx);
    if (question) {
      turn.add({ type: 'confirmation_requested', task: task.id, question });
      turn.say(question);
      turn.action = this.report(current(), 'needs_confirmation', null);
      return;
    }
    this.runTask(turn, current(), ctx);
  }

  /** Runs a task whose arguments are complete (and confirmed where needed). */
  private runTask(turn: TurnBuilder, task: TaskState, ctx: SkillContext): void {
    const skill = this.skills.get(task.skill)!;
    const args = skill.args.safeParse(task.values);
    if (!args.success) return this.advance(turn, task, [], ctx);
    let outcome;
    try {
      outcome = skill.run(args.data, ctx);
    } catch (error) {
      turn.add({ type: 'task_failed', task: task.id, reason: String((error as Error).message ?? error) });
      turn.say(`Sorry, something went wrong: ${(error as Error).message ?? error}`);
      turn.action = { skill: skill.name, args: args.data, status: 'failed', result: null };
      return;
    }
    const status = outcome.status ?? 'done';
    if (status === 'done') {
      turn.add({ type: 'task_done', task: task.id, args: args.data, result: outcome.result ?? null, undoable: Boolean(skill.undo) });
    } else {
      turn.add({ type: 'task_failed', task: task.id, reason: outcome.reply });
    }
    turn.say(outcome.reply);
    turn.action = { skill: skill.name, args: args.data, status, result: outcome.result ?? null };
    const resumed = turn.top();
    if (resumed) this.resumePrompt(turn, resumed);
  }

  private cancelTop(turn: TurnBuilder, task: TaskState): void {
    const skill = this.skills.get(task.skill);
    turn.add({ type: 'task_cancelled', task: task.id });
    turn.say(`OK, I've cancelled that${skill ? ` (${skill.description})` : ''}.`);
    turn.action = { skill: task.skill, args: task.values, status: 'cancelled', result: null };
    const resumed = turn.top();
    if (resumed) this.resumePrompt(turn, resumed);
  }

  /** "No, make it 6pm" after a task ran: undo it (when it changed something) and run it again with the correction. */
  private correctFinished(turn: TurnBuilder, text: string, u: Awaited<ReturnType<Understander['understand']>>, ctx: SkillContext): void {
    const last = turn.state.lastFinished!;
    const skill = this.skills.get(last.skill);
    if (!skill) return turn.say("Sorry, I can't change that.");
    const found: { slot: string; value: unknown; text: string }[] = [];
    const reread = (spec: SkillSlot, said: string) =>
      spec.reread && last.values[spec.name] !== undefined ? spec.reread(said, last.values[spec.name], ctx) : spec.parse(said, ctx);
    // "Not tomorrow, the day after", "chicken not chips": what follows "not" is the old value.
    const newValues = u.slots.filter((span) => !/\b(?:not|instead of|rather than)\s+(?:the\s+)?$/i.test(text.slice(0, span.start)));
    for (const [slot, pieces] of slotTexts(text, newValues)) {
      const spec = skill.slots.find((s) => s.name === slot);
      if (!spec) continue;
      const spanText = pieces.join(isTextSlot(spec) ? ' and ' : ' ').replace(/[,\s]+(?:not|instead of|rather than)\s.*$/i, '');
      const parsed = reread(spec, spanText);
      if (parsed.ok) {
        found.push({ slot: spec.name, value: parsed.value, text: spanText });
        continue;
      }
      const hit = spec.find?.(text, ctx);
      if (!hit) return turn.say(`${parsed.reason} What should I change it to?`);
      found.push({ slot: spec.name, value: hit.value, text: hit.text });
    }
    if (found.length === 0) {
      // The model marked nothing: the correction may be just a value ("no, 6pm", "I meant metres").
      const said = stripCorrectionLead(text);
      for (const spec of skill.slots.filter((s) => !isTextSlot(s) && last.values[s.name] !== undefined)) {
        const parsed = said ? reread(spec, said) : null;
        if (parsed?.ok) {
          found.push({ slot: spec.name, value: parsed.value, text: said });
          break;
        }
      }
    }
    if (found.length === 0) return turn.say(`What should I change? For example: "no, make it 6pm".`);
    if (last.undoable && skill.undo) {
      skill.undo(last.result, ctx);
      turn.add({ type: 'task_undone', task: last.id });
    }
    const id = `t${Date.now().toString(36)}${(this.taskCounter++).toString(36)}`;
    turn.add({ type: 'task_started', task: id, skill: skill.name, intent: last.intent });
    for (const [slot, value] of Object.entries(last.values)) {
      if (!found.some((f) => f.slot === slot)) turn.add({ type: 'slot_set', task: id, slot, value, text: last.texts[slot] ?? '' });
    }
    for (const f of found) turn.add({ type: 'slot_set', task: id, slot: f.slot, value: f.value, text: f.text });
    this.advance(turn, turn.top()!, [], ctx);
  }

  /**
   * "And in Tokyo?" after the time in Paris, "what about 10 miles?" after a conversion: the task
   * just done again, with the one typed value the follow-up gives. False when it gives none.
   */
  private followUp(turn: TurnBuilder, last: FinishedTask, text: string, spans: TurnSlot[], ctx: SkillContext): boolean {
    const skill = this.skills.get(last.skill);
    if (!skill) return false;
    const cut = text.length - text.replace(FOLLOW_UP, '').length;
    const rest = text.slice(cut).replace(/[?.!]+\s*$/, '').trim();
    if (!rest) return false;
    // The rest read whole as one typed value, else the values the model found in the message
    // ("and an egg timer for 6 minutes" names its own timer).
    const whole = skill.slots.filter((s) => !isTextSlot(s)).flatMap((spec) => {
      // Read like a correction: "and at 6pm?" after "tomorrow at 5pm" keeps tomorrow.
      const previous = last.values[spec.name];
      const parsed = spec.reread && previous !== undefined ? spec.reread(rest, previous, ctx) : spec.parse(rest, ctx);
      return parsed.ok ? [{ slot: spec.name, value: parsed.value, text: rest }] : [];
    });
    const given = whole.length > 0 ? whole.slice(0, 1) : readRequestSlots(skill.slots, rest, shiftSpans(spans, cut), ctx).flatMap((r) => (r.ok ? [r] : []));
    if (given.length === 0) return false;
    const id = `t${Date.now().toString(36)}${(this.taskCounter++).toString(36)}`;
    turn.add({ type: 'task_started', task: id, skill: skill.name, intent: last.intent });
    for (const [slot, value] of Object.entries(last.values)) {
      if (!given.some((g) => g.slot === slot)) turn.add({ type: 'slot_set', task: id, slot, value, text: last.texts[slot] ?? '' });
    }
    for (const g of given) turn.add({ type: 'slot_set', task: id, slot: g.slot, value: g.value, text: g.text });
    this.advance(turn, turn.top()!, [], ctx);
    return true;
  }


  private undoFinished(turn: TurnBuilder, ctx: SkillContext): void {
    const last = turn.state.lastFinished!;
    const skill = this.skills.get(last.skill);
    if (!skill?.undo?.(last.result, ctx)) return turn.say("There's nothing to cancel.");
    turn.add({ type: 'task_undone', task: last.id });
    turn.say(`OK, I've undone that (${skill.description}).`);
    turn.action = { skill: skill.name, args: last.args, status: 'cancelled', result: last.result };
  }

  private report(task: TaskState, status: ActionStatus, result: unknown): ActionReport {
    return { skill: task.skill, args: { ...task.values }, status, result };
  }

  private responseFor(intent: string, turn: TurnBuilder, slots: TurnSlot[]): string | undefined {
    const key = this.definition.intents.find((i) => i.name === intent)?.response;
    const all = key ? this.definition.responses[key] : undefined;
    if (!key || !all || all.length === 0) return undefined;
    // The persona's style picks among the texts; untagged ones suit every style, and without any
    // tags (every definition written before styles) this is the whole list, rotated as before.
    const alternatives = textsForStyle(all, this.definition.responseStyles?.[key], this.definition.persona?.style);
    const text = alternatives[turn.state.turns % alternatives.length];
    // Persona first: a slot value the user typed is never read as a placeholder.
    return fillPersona(text, this.definition.persona).replace(/\{(\w+)\}/g, (match, name: string) => slots.find((s) => s.slot === name)?.value ?? match);
  }

  /** What the assistant's skills can do, in one sentence. */
  capabilities(): string {
    const seen = new Set<string>();
    const things: string[] = [];
    for (const intent of this.definition.intents) {
      const skill = intent.skill ? this.skills.get(intent.skill) : undefined;
      const area = skill?.name.split('.')[0];
      if (!skill || !area || seen.has(area)) continue;
      seen.add(area);
      things.push(skill.description);
    }
    if (things.length <= 1) return things.join('');
    return `${things.slice(0, -1).join(', ')} and ${things[things.length - 1]}`;
  }

  private helpText(turn: TurnBuilder): string {
    return this.responseFor('help', turn, []) ?? `I can ${this.capabilities()}. Just ask!`;
  }

  private outOfScopeText(): string {
    const can = this.capabilities();
    return can ? `Sorry, I can't help with that. I can ${can}.` : "Sorry, I can't help with that.";
  }
}

function isTextSlot(spec: SkillSlot): boolean {
  return !spec.find;
}

/** Spans moved `by` characters to the left, for the message without its first `by` characters. */
function shiftSpans(spans: readonly TurnSlot[], by: number): TurnSlot[] {
  return spans.filter((s) => s.start >= by).map((s) => ({ ...s, start: s.start - by, end: s.end - by }));
}

/** The words of an utterance outside the model's slot spans ("add fix that leak" → "add "). */
function outsideSpans(text: string, spans: readonly TurnSlot[]): string {
  let rest = text;
  for (const span of [...spans].sort((a, b) => b.start - a.start)) rest = `${rest.slice(0, span.start)} ${rest.slice(span.end)}`;
  return rest;
}

/** The value in a correction: "no, I meant metres" → "metres". */
function stripCorrectionLead(text: string): string {
  return stripFragmentFiller(
    text
      .replace(/^\s*(no+|nope|actually|sorry|oops|wait)\b[,\s]*/i, '')
      .replace(/^\s*(i meant|i mean|i said|make (it|that)|change (it|that) to|it should be|should be|instead)\s*/i, '')
      .replace(/[,\s]*(instead|not \w+( \w+)?)\s*[.!]*\s*$/i, ''),
  );
}

/** Drops the filler around a fragment answer ("um, tomorrow at 5 please" → "tomorrow at 5"). */
function stripFragmentFiller(text: string): string {
  return text
    .replace(/^\s*(um+|uh+|er+|hmm+|well|ok(ay)?|so|yes|yeah|sure|oh)\b[,\s]*/i, '')
    .replace(/^\s*(make it|let'?s say|say|how about|maybe|i guess|it'?s|it is|to|about)\s+/i, '')
    .replace(/[\s,]*(please|thanks|thank you|pls|then|instead)\s*[.!]*\s*$/i, '')
    .replace(/[.!?]+\s*$/, '')
    .trim();
}
