/**
 * Conversation events and the state derived from them. The store persists events; the state of
 * a conversation is whatever replaying its events gives (`replay`), and only events change it.
 */

/** The slots the model found in a user turn. */
export interface TurnSlot {
  slot: string;
  value: string;
  text: string;
  start: number;
  end: number;
}

/**
 * A memory-mode model's memory after a user turn, as stored with the conversation (see
 * conversation-memory.ts): k × C values in half precision, base64, with the fingerprint of the
 * model that wrote it.
 */
export interface StoredMemory {
  model: string;
  shape: [number, number];
  data: string;
}

export type ConversationEvent =
  /**
   * `memory` (memory-mode models): the model's memory after this turn; null: back to the
   * model's initial memory (a stored one did not fit the model); absent: unchanged.
   */
  | { type: 'user'; text: string; intent: string; confidence: number; slots: TurnSlot[]; memory?: StoredMemory | null }
  | { type: 'bot'; text: string }
  /** A task was started for a skill (pushed on top of any task in progress). */
  | { type: 'task_started'; task: string; skill: string; intent: string }
  /** A slot of the top task got a value (parsed, JSON) read from `text`. */
  | { type: 'slot_set'; task: string; slot: string; value: unknown; text: string }
  | { type: 'slot_cleared'; task: string; slot: string }
  /** The assistant asked for a slot of the top task. */
  | { type: 'slot_requested'; task: string; slot: string }
  | { type: 'confirmation_requested'; task: string; question: string }
  /** The task ran; it leaves the stack and becomes the last finished task (for corrections). */
  | { type: 'task_done'; task: string; args: Record<string, unknown>; result: unknown; undoable: boolean }
  | { type: 'task_failed'; task: string; reason: string }
  | { type: 'task_cancelled'; task: string }
  /** A finished task was undone (before a corrected re-run, or "cancel that"). */
  | { type: 'task_undone'; task: string };

/** A task in progress (or the last finished one). */
export interface TaskState {
  id: string;
  skill: string;
  intent: string;
  /** Parsed slot values by slot name. */
  values: Record<string, unknown>;
  /** The text each value was read from. */
  texts: Record<string, string>;
  /** What the assistant is waiting for. */
  awaiting: { kind: 'slot'; slot: string } | { kind: 'confirmation'; question: string } | null;
}

export interface FinishedTask extends TaskState {
  args: Record<string, unknown>;
  result: unknown;
  undoable: boolean;
  undone: boolean;
  /** Index of the user turn it finished on. */
  turn: number;
}

export interface ConversationState {
  /** Tasks in progress; the last one is the one being talked about, earlier ones were interrupted. */
  stack: TaskState[];
  lastFinished: FinishedTask | null;
  /** Number of user turns so far. */
  turns: number;
  /** The latest user turns' intents (newest last, at most 10), for policies that look back. */
  recentIntents: string[];
  /** The latest messages of both sides (newest last, at most 10): context for small talk. */
  recentTurns: { speaker: 'user' | 'bot'; text: string }[];
  /** Memory mode: the model's memory after the latest user turn; absent: the model's initial memory. */
  memory?: StoredMemory;
}

export function emptyState(): ConversationState {
  return { stack: [], lastFinished: null, turns: 0, recentIntents: [], recentTurns: [] };
}

/** Applies one event to a state (pure: returns a new state). */
export function applyEvent(state: ConversationState, event: ConversationEvent): ConversationState {
  const stack = state.stack.map((t) => ({ ...t, values: { ...t.values }, texts: { ...t.texts } }));
  const find = (id: string) => stack.find((t) => t.id === id);
  switch (event.type) {
    case 'user': {
      const next: ConversationState = {
        ...state,
        stack,
        turns: state.turns + 1,
        recentIntents: [...state.recentIntents, event.intent].slice(-10),
        recentTurns: [...state.recentTurns, { speaker: 'user' as const, text: event.text }].slice(-10),
      };
      if (event.memory) next.memory = event.memory;
      else if (event.memory === null) delete next.memory;
      return next;
    }
    case 'bot':
      return event.text ? { ...state, recentTurns: [...state.recentTurns, { speaker: 'bot' as const, text: event.text }].slice(-10) } : state;
    case 'task_started':
      stack.push({ id: event.task, skill: event.skill, intent: event.intent, values: {}, texts: {}, awaiting: null });
      return { ...state, stack };
    case 'slot_set': {
      const task = find(event.task);
      if (task) {
        task.values[event.slot] = event.value;
        task.texts[event.slot] = event.text;
      }
      return { ...state, stack };
    }
    case 'slot_cleared': {
      const task = find(event.task);
      if (task) {
        delete task.values[event.slot];
        delete task.texts[event.slot];
      }
      return { ...state, stack };
    }
    case 'slot_requested': {
      const task = find(event.task);
      if (task) task.awaiting = { kind: 'slot', slot: event.slot };
      return { ...state, stack };
    }
    case 'confirmation_requested': {
      const task = find(event.task);
      if (task) task.awaiting = { kind: 'confirmation', question: event.question };
      return { ...state, stack };
    }
    case 'task_done': {
      const task = find(event.task);
      const rest = stack.filter((t) => t.id !== event.task);
      if (!task) return { ...state, stack: rest };
      const finished: FinishedTask = {
        ...task,
        awaiting: null,
        args: event.args,
        result: event.result,
        undoable: event.undoable,
        undone: false,
        turn: state.turns,
      };
      return { ...state, stack: rest, lastFinished: finished };
    }
    case 'task_failed':
    case 'task_cancelled':
      return { ...state, stack: stack.filter((t) => t.id !== event.task) };
    case 'task_undone':
      return state.lastFinished?.id === event.task
        ? { ...state, stack, lastFinished: { ...state.lastFinished, undone: true } }
        : { ...state, stack };
  }
}

/** The state a list of events leads to. */
export function replay(events: Iterable<ConversationEvent>): ConversationState {
  let state = emptyState();
  for (const event of events) state = applyEvent(state, event);
  return state;
}
