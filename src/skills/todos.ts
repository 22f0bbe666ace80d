/**
 * Named lists (to-do, shopping, ...): add items, show a list, check items off, remove them,
 * clear a list, name the lists. Items are matched by what the user calls them, ignoring case,
 * articles and plurals ("the eggs" finds "egg").
 */
import { z } from 'zod';
import type { ListItem, UserStore } from '../store/types.js';
import type { Parsed, Skill, SkillContext, SkillSlot } from './types.js';

/** The list used when none is named. */
export const DEFAULT_LIST = 'todo';
/** At most this many items in one request: more is a paste, not something said. */
const MAX_ITEMS = 50;
const MAX_TEXT = 200;

const LIST_SYNONYMS: Record<string, string> = {
  'to-do': 'todo',
  'to do': 'todo',
  'to-dos': 'todo',
  'to dos': 'todo',
  todos: 'todo',
  task: 'todo',
  tasks: 'todo',
  groceries: 'shopping',
  shoping: 'shopping',
  grocery: 'shopping',
  'grocery shopping': 'shopping',
};

/** A list name as stored: lower-case, without "my"/"the"/"list", synonyms folded ("groceries" → "shopping"). */
export function normaliseList(text: string): string {
  const words = text
    .toLowerCase()
    .replace(/[.!?]+$/, '')
    .split(/\s+/)
    .filter((w) => w && !/^(?:my|the|a|our|list|lists)$/.test(w));
  const name = words.join(' ').trim();
  return LIST_SYNONYMS[name] ?? (name || DEFAULT_LIST);
}

/** How a list is named in a reply: "to-do list", "shopping list". */
export function listLabel(list: string): string {
  return `${list === DEFAULT_LIST ? 'to-do' : list} list`;
}

/** Leading articles and quantifiers that are not part of an item's name. */
function stripArticles(text: string): string {
  let t = text.trim();
  for (;;) {
    const next = t.replace(/^(?:some|a|an|the|more)\s+/i, '');
    if (next === t) return t;
    t = next;
  }
}

/** One item as said: trimmed, without articles or trailing punctuation. */
function cleanItem(text: string): string {
  return stripArticles(text.replace(/[.!?;:,]+$/, '').replace(/\s+/g, ' ').trim());
}

/** Splits "eggs, milk and bread" / "eggs & milk" into items; duplicates (ignoring case) are dropped. */
export function splitItems(text: string): string[] {
  const parts = text
    .replace(/[.!?]+$/, '')
    .split(/\s*(?:,|;|&|\+|\band\b|\bplus\b|\bas well as\b)\s*/i)
    .map(cleanItem)
    .filter(Boolean);
  const seen = new Set<string>();
  return parts.filter((p) => {
    const key = itemKey(p);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A word without its plural ending, so "eggs" and "egg", "berries" and "berry" compare equal. */
function singular(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 4 && /(?:ches|shes|sses|xes|zes|oes)$/.test(word)) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !/(?:ss|us|is)$/.test(word)) return word.slice(0, -1);
  return word;
}

function words(text: string): string[] {
  return stripArticles(text.toLowerCase())
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .map(singular);
}

function itemKey(text: string): string {
  return words(text).join(' ');
}

/** "eggs", "eggs and milk", "eggs, milk and bread". */
export function joinAnd(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

type Match =
  | { kind: 'found'; item: ListItem }
  | { kind: 'done'; item: ListItem }
  | { kind: 'ambiguous'; items: ListItem[] }
  | { kind: 'none'; lists: string[] };

/**
 * Finds the item a user means, in `list` or (when no list was named) in any of their lists, the
 * default list first. Exact names (ignoring case, articles and plurals) win over partial ones
 * ("milk" finds "oat milk" only when nothing is called "milk").
 */
function findItem(store: UserStore, query: string, list: string | undefined): Match {
  const lists = list ? [list] : store.lists().map((l) => l.list).sort((a, b) => Number(b === DEFAULT_LIST) - Number(a === DEFAULT_LIST));
  const items = lists.flatMap((l) => store.listItems(l));
  const key = itemKey(query);
  const q = key.split(' ').filter(Boolean);
  if (q.length === 0) return { kind: 'none', lists };
  const exact = (i: ListItem) => itemKey(i.text) === key;
  const partial = (i: ListItem) => {
    const w = new Set(itemKey(i.text).split(' '));
    return q.every((x) => w.has(x));
  };
  for (const test of [exact, partial]) {
    const open = items.filter((i) => !i.done && test(i));
    if (open.length > 0) {
      // The same thing twice ("eggs" on two lists or added twice) is not a real ambiguity: take the first.
      const distinct = new Set(open.map((i) => itemKey(i.text)));
      return distinct.size === 1 ? { kind: 'found', item: open[0] } : { kind: 'ambiguous', items: open };
    }
    const done = items.find((i) => i.done && test(i));
    if (done) return { kind: 'done', item: done };
  }
  return { kind: 'none', lists };
}

/** The reply when an item is not found: what the list(s) do hold. */
function notFound(store: UserStore, query: string, list: string | undefined): string {
  if (list) {
    const open = store.listItems(list).filter((i) => !i.done);
    if (open.length === 0) return `I couldn't find "${query}": your ${listLabel(list)} is empty.`;
    return `I couldn't find "${query}" on your ${listLabel(list)}. It has: ${joinAnd(open.map((i) => i.text))}.`;
  }
  const lists = store.lists().filter((l) => l.open > 0);
  if (lists.length === 0) return `I couldn't find "${query}": your lists are empty.`;
  if (lists.length === 1) return notFound(store, query, lists[0].list);
  return `I couldn't find "${query}" on any of your lists (${joinAnd(lists.map((l) => listLabel(l.list)))}).`;
}

function textSlot(name: string, required: boolean, prompt: string, example: string, what: string): SkillSlot<string> {
  return {
    name,
    required,
    prompt,
    example,
    parse(text: string): Parsed<string> {
      const t = cleanItem(text);
      if (!t) return { ok: false, reason: `I didn't catch the ${what}.`, example };
      if (t.length > MAX_TEXT) return { ok: false, reason: `That ${what} is too long (at most ${MAX_TEXT} characters).`, example };
      return { ok: true, value: t };
    },
  };
}

function listSlot(prompt = 'Which list?'): SkillSlot<string> {
  return {
    name: 'list',
    required: false,
    prompt,
    example: 'shopping',
    endsBefore: /list\b/i,
    startsAfter: /\b(?:to|on|onto|off|from|in|into)\s+(?:my|the|our)\s+/i,
    parse(text: string): Parsed<string> {
      if (text.length > MAX_TEXT) return { ok: false, reason: `That list name is too long.`, example: 'shopping' };
      return { ok: true, value: normaliseList(text) };
    },
  };
}

const listName = z.string().trim().min(1).max(MAX_TEXT);
const itemText = z.string().trim().min(1).max(MAX_TEXT);

/** Polite openings before a request ("please", "can you", "oh and"). */
const OPENING = String.raw`^(?:(?:please|pls|can you|could you|would you|will you|hey|ok|okay|oh|and|also|now)[\s,]+)*`;
/** "add (beer) to my shopping list", "put (beer) on the list": the commonest way to add. */
const ADD_FRAME = new RegExp(String.raw`${OPENING}(?:add|put|stick|pop|throw|write|jot down)\s+(.+?)\s+(?:to|on|onto|in)\s+(?:my|the|our)\s+(?:[\w' -]+?\s+)?list\b`, 'i');
/** "check (unicorns) off", "tick off (milk)", "cross (milk) off my list". */
const CHECK_OFF_FRAME = new RegExp(String.raw`${OPENING}(?:check|tick|cross|mark)\s+(?:off\s+)?(.+?)(?:\s+(?:off|as done))?(?:\s+(?:on|from|off)\s+(?:my|the|our)\s+[\w' -]*?list)?\s*[.!]*$`, 'i');
/** "remove (milk) from my shopping list", "delete (milk) off the list". */
const REMOVE_FRAME = new RegExp(String.raw`${OPENING}(?:remove|delete|take|drop|scratch)\s+(.+?)\s+(?:from|off)\s+(?:my|the|our)\s+(?:[\w' -]+?\s+)?list\b`, 'i');

type AddArgs = { item: string[]; list?: string };

/** Adds one or more items to a list ("add eggs, milk and bread to my shopping list"). */
export const addTodo: Skill<AddArgs> = {
  name: 'todos.add',
  description: 'keep to-do and shopping lists',
  slots: [
    {
      name: 'item',
      required: true,
      prompt: 'What should I add?',
      example: 'eggs and milk',
      frame: ADD_FRAME,
      parse(text: string): Parsed<string[]> {
        const items = splitItems(text);
        if (items.length === 0) return { ok: false, reason: "I didn't catch what to add.", example: 'eggs and milk' };
        if (items.length > MAX_ITEMS) return { ok: false, reason: `That's more than ${MAX_ITEMS} items at once.`, example: 'eggs and milk' };
        if (items.some((i) => i.length > MAX_TEXT)) return { ok: false, reason: `An item can be at most ${MAX_TEXT} characters.`, example: 'eggs and milk' };
        return { ok: true, value: items };
      },
    } satisfies SkillSlot<string[]>,
    listSlot('Which list should I add it to?'),
  ],
  args: z.object({ item: z.array(itemText).min(1).max(MAX_ITEMS), list: listName.optional() }),
  run({ item, list }, ctx) {
    const name = normaliseList(list ?? DEFAULT_LIST);
    // Say the names already on the list as they are written there ("eggs", even if "Egg" was said).
    const onList = new Map(ctx.store.listItems(name).filter((i) => !i.done).map((i) => [itemKey(i.text), i.text]));
    const fresh = item.filter((i) => !onList.has(itemKey(i)));
    const already = item.filter((i) => onList.has(itemKey(i))).map((i) => onList.get(itemKey(i))!);
    const added = ctx.store.addListItems(name, fresh, ctx.now);
    const result = { list: name, added: added.map((i) => ({ id: i.id, text: i.text })), alreadyThere: already };
    if (added.length === 0) {
      return { reply: `${capitalise(joinAnd(already))} ${isOrAre(already)} already on your ${listLabel(name)}.`, result };
    }
    const note = already.length ? ` (${joinAnd(already)} ${isOrAre(already) === 'is' ? 'was' : 'were'} already on it)` : '';
    return { reply: `Added ${joinAnd(added.map((i) => i.text))} to your ${listLabel(name)}${note}.`, result };
  },
  undo(result, ctx) {
    const added = (result as { added?: { id?: unknown }[] } | null)?.added;
    if (!Array.isArray(added)) return false;
    let removed = false;
    for (const a of added) if (typeof a?.id === 'number' && ctx.store.removeItem(a.id)) removed = true;
    return removed;
  },
};

type ListArgs = { list?: string };

/** Shows one list: open items numbered, then the ones already done. */
export const showList: Skill<ListArgs> = {
  name: 'todos.show',
  description: 'show lists',
  slots: [listSlot('Which list should I show?')],
  args: z.object({ list: listName.optional() }),
  run({ list }, ctx) {
    const name = normaliseList(list ?? DEFAULT_LIST);
    const items = ctx.store.listItems(name);
    const open = items.filter((i) => !i.done);
    const done = items.filter((i) => i.done);
    const result = { list: name, items: items.map((i) => ({ id: i.id, text: i.text, done: i.done })) };
    if (items.length === 0) {
      const others = ctx.store.lists().filter((l) => l.list !== name && l.open > 0);
      const hint = others.length ? ` You have items on your ${joinAnd(others.map((l) => listLabel(l.list)))}.` : '';
      return { reply: `Your ${listLabel(name)} is empty.${hint}`, result };
    }
    const lines = open.map((i, n) => `${n + 1}. ${i.text}`);
    const head = open.length
      ? `Your ${listLabel(name)} has ${plural(open.length, 'item')}:`
      : `Everything on your ${listLabel(name)} is done.`;
    const tail = done.length ? [`Done: ${joinAnd(done.map((i) => i.text))}.`] : [];
    return { reply: [head, ...lines, ...tail].join('\n'), result };
  },
};

type ItemArgs = { item: string; list?: string };

/** Shared by check-off and remove: find the item, or explain why not. */
function withItem(
  { item, list }: ItemArgs,
  ctx: SkillContext,
  act: (found: ListItem) => { reply: string; result: unknown },
  verb: string,
): { reply: string; status?: 'failed'; result?: unknown } {
  const name = list === undefined ? undefined : normaliseList(list);
  const match = findItem(ctx.store, item, name);
  if (match.kind === 'found') return act(match.item);
  if (match.kind === 'done' && verb === 'check off') {
    return { reply: `${capitalise(match.item.text)} ${isOrAre([match.item.text])} already checked off your ${listLabel(match.item.list)}.`, result: toResult(match.item) };
  }
  if (match.kind === 'done') return act(match.item);
  if (match.kind === 'ambiguous') {
    return {
      status: 'failed',
      reply: `Several items match "${item}": ${joinAnd(match.items.map((i) => i.text))}. Which one should I ${verb}?`,
      result: { candidates: match.items.map(toResult) },
    };
  }
  return { status: 'failed', reply: notFound(ctx.store, item, name), result: null };
}

function toResult(i: ListItem) {
  return { id: i.id, list: i.list, text: i.text, done: i.done };
}

const itemSlots = (verb: string, frame: RegExp) => [
  { ...textSlot('item', true, `Which item should I ${verb}?`, 'milk', 'item'), frame },
  listSlot(`Which list is it on?`),
];
const itemArgs = z.object({ item: itemText, list: listName.optional() });

/** Checks an item off ("I bought the eggs"). */
export const checkOffTodo: Skill<ItemArgs> = {
  name: 'todos.check_off',
  description: 'check off list items',
  slots: itemSlots('check off', CHECK_OFF_FRAME),
  args: itemArgs,
  run(args, ctx) {
    return withItem(
      args,
      ctx,
      (found) => {
        ctx.store.checkOffItem(found.id);
        return { reply: `Checked off ${found.text} on your ${listLabel(found.list)}.`, result: { ...toResult(found), done: true } };
      },
      'check off',
    );
  },
};

/** Removes an item from a list. */
export const removeTodo: Skill<ItemArgs> = {
  name: 'todos.remove',
  description: 'remove list items',
  slots: itemSlots('remove', REMOVE_FRAME),
  args: itemArgs,
  run(args, ctx) {
    return withItem(
      args,
      ctx,
      (found) => {
        ctx.store.removeItem(found.id);
        return { reply: `Removed ${found.text} from your ${listLabel(found.list)}.`, result: toResult(found) };
      },
      'remove',
    );
  },
};

/** Empties a list, after a yes. */
export const clearList: Skill<ListArgs> = {
  name: 'todos.clear',
  description: 'clear a list',
  slots: [listSlot('Which list should I clear?')],
  args: z.object({ list: listName.optional() }),
  confirm({ list }, ctx) {
    const name = normaliseList(list ?? DEFAULT_LIST);
    const count = ctx.store.listItems(name).length;
    return count === 0 ? null : `Clear your ${listLabel(name)} (${plural(count, 'item')})?`;
  },
  run({ list }, ctx) {
    const name = normaliseList(list ?? DEFAULT_LIST);
    const removed = ctx.store.clearList(name);
    const result = { list: name, removed };
    if (removed === 0) return { reply: `Your ${listLabel(name)} is already empty.`, result };
    return { reply: `Cleared your ${listLabel(name)} (${plural(removed, 'item')} removed).`, result };
  },
};

type NoArgs = Record<string, never>;

/** Names the user's lists with how many open items each has. */
export const listLists: Skill<NoArgs> = {
  name: 'todos.lists',
  description: 'name your lists',
  slots: [],
  args: z.object({}),
  run(_args, ctx) {
    const lists = ctx.store.lists();
    if (lists.length === 0) return { reply: "You don't have any lists yet. Try: add milk to my shopping list.", result: [] };
    const parts = lists.map((l) => `${listLabel(l.list)} (${l.open === 0 ? 'all done' : `${plural(l.open, 'open item')}`})`);
    return { reply: `You have ${plural(lists.length, 'list')}: ${joinAnd(parts)}.`, result: lists };
  },
};

/** "is" for "milk", "are" for "eggs" or for several items. */
function isOrAre(items: string[]): 'is' | 'are' {
  if (items.length !== 1) return 'are';
  const last = items[0].toLowerCase().split(/\s+/).pop() ?? '';
  return singular(last) !== last ? 'are' : 'is';
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The list skills, for the registry. */
export const todoSkills = [addTodo, showList, checkOffTodo, removeTodo, clearList, listLists] as const;
