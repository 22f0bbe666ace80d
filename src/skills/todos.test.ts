import { beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStore, type Store } from '../store/index.js';
import { addTodo, checkOffTodo, clearList, listLists, normaliseList, removeTodo, showList, splitItems, todoSkills } from './todos.js';
import type { SkillContext, SkillSlot } from './types.js';

const NOW = new Date('2026-11-25T10:00:00Z');

let store: Store;
let ctx: SkillContext;
beforeEach(() => {
  store = createMemoryStore();
  ctx = context('Europe/London');
  return () => store.close();
});

function context(timeZone: string, user = 'alice'): SkillContext {
  return { user, now: NOW, timeZone, store: store.forUser(user) };
}

function read(skill: { slots: SkillSlot[] }, name: string, text: string): never {
  const parsed = skill.slots.find((s) => s.name === name)!.parse(text, ctx);
  if (!parsed.ok) throw new Error(`${name} "${text}": ${parsed.reason}`);
  return parsed.value as never;
}

/** Adds items as a user would say them. */
function add(items: string, list?: string, c = ctx) {
  const args = addTodo.args.parse({ item: read(addTodo, 'item', items), ...(list === undefined ? {} : { list: read(addTodo, 'list', list) }) });
  return addTodo.run(args, c);
}

const open = (list: string) => ctx.store.listItems(list).filter((i) => !i.done).map((i) => i.text);

describe('item and list names', () => {
  it('splits several items and drops articles', () => {
    expect(splitItems('eggs, milk and bread')).toEqual(['eggs', 'milk', 'bread']);
    expect(splitItems('eggs and milk')).toEqual(['eggs', 'milk']);
    expect(splitItems('eggs & milk')).toEqual(['eggs', 'milk']);
    expect(splitItems('some eggs, a loaf of bread, and the butter.')).toEqual(['eggs', 'loaf of bread', 'butter']);
    expect(splitItems('an apple')).toEqual(['apple']);
    expect(splitItems('eggs, Eggs and milk')).toEqual(['eggs', 'milk']);
    expect(splitItems(' , and ')).toEqual([]);
  });

  it('normalises list names', () => {
    expect(normaliseList('Shopping')).toBe('shopping');
    expect(normaliseList('my shopping list')).toBe('shopping');
    expect(normaliseList('groceries')).toBe('shopping');
    expect(normaliseList('grocery')).toBe('shopping');
    expect(normaliseList('to-do')).toBe('todo');
    expect(normaliseList('to do')).toBe('todo');
    expect(normaliseList('todos')).toBe('todo');
    expect(normaliseList('the tasks list')).toBe('todo');
    expect(normaliseList('Christmas Gifts')).toBe('christmas gifts');
    expect(normaliseList('my list')).toBe('todo');
  });

  it('registers the skills under the contract names', () => {
    expect(todoSkills.map((s) => s.name)).toEqual(['todos.add', 'todos.show', 'todos.check_off', 'todos.remove', 'todos.clear', 'todos.lists']);
    expect(addTodo.slots.map((s) => [s.name, s.required])).toEqual([
      ['item', true],
      ['list', false],
    ]);
  });
});

describe('todos.add', () => {
  it('adds several items to a named list', () => {
    const outcome = add('eggs, milk and bread', 'shopping');
    expect(outcome.reply).toBe('Added eggs, milk and bread to your shopping list.');
    expect(open('shopping')).toEqual(['eggs', 'milk', 'bread']);
    expect(outcome.result).toMatchObject({ list: 'shopping', added: [{ text: 'eggs' }, { text: 'milk' }, { text: 'bread' }] });
    expect(JSON.parse(JSON.stringify(outcome.result))).toEqual(outcome.result);
  });

  it('uses the to-do list when none is named, and folds synonyms', () => {
    expect(add('call the bank').reply).toBe('Added call the bank to your to-do list.');
    expect(add('apples', 'my Groceries list').reply).toBe('Added apples to your shopping list.');
    expect(open('todo')).toEqual(['call the bank']);
    expect(open('shopping')).toEqual(['apples']);
  });

  it('does not add what is already on the list', () => {
    add('eggs', 'shopping');
    expect(add('Eggs and milk', 'shopping').reply).toBe('Added milk to your shopping list (eggs were already on it).');
    expect(add('egg', 'shopping').reply).toBe('Eggs are already on your shopping list.');
    expect(open('shopping')).toEqual(['eggs', 'milk']);
  });

  it('can be undone', () => {
    const outcome = add('eggs and milk', 'shopping');
    expect(addTodo.undo?.(outcome.result, ctx)).toBe(true);
    expect(open('shopping')).toEqual([]);
  });

  it('refuses an empty item and arguments that break the schema', () => {
    expect(addTodo.slots[0].parse(', and', ctx).ok).toBe(false);
    expect(addTodo.args.safeParse({ item: ['eggs'] }).success).toBe(true);
    expect(addTodo.args.safeParse({ item: [] }).success).toBe(false);
    expect(addTodo.args.safeParse({ item: 'eggs' }).success).toBe(false);
    expect(addTodo.args.safeParse({ item: ['  '] }).success).toBe(false);
    expect(addTodo.args.safeParse({ item: ['eggs'], list: '' }).success).toBe(false);
    expect(addTodo.args.safeParse({ item: Array.from({ length: 51 }, (_, i) => `item ${i}`) }).success).toBe(false);
  });
});

describe('todos.show', () => {
  it('numbers open items and marks done ones', () => {
    add('eggs, milk and bread', 'shopping');
    checkOffTodo.run({ item: 'milk' }, ctx);
    const outcome = showList.run({ list: 'shopping' }, ctx);
    expect(outcome.reply).toBe(['Your shopping list has 2 items:', '1. eggs', '2. bread', 'Done: milk.'].join('\n'));
    expect(outcome.result).toEqual({
      list: 'shopping',
      items: [
        { id: expect.any(Number), text: 'eggs', done: false },
        { id: expect.any(Number), text: 'milk', done: true },
        { id: expect.any(Number), text: 'bread', done: false },
      ],
    });
  });

  it('says when a list is empty or all done', () => {
    expect(showList.run({}, ctx).reply).toBe('Your to-do list is empty.');
    add('milk', 'shopping');
    expect(showList.run({}, ctx).reply).toBe('Your to-do list is empty. You have items on your shopping list.');
    checkOffTodo.run({ item: 'milk' }, ctx);
    expect(showList.run({ list: 'groceries' }, ctx).reply).toBe('Everything on your shopping list is done.\nDone: milk.');
  });

  it("shows only the user's own list", () => {
    add('milk', 'shopping');
    expect(showList.run({ list: 'shopping' }, context('Europe/London', 'bob')).reply).toBe('Your shopping list is empty.');
  });
});

describe('todos.check_off and todos.remove', () => {
  beforeEach(() => {
    add('eggs, milk and bread', 'shopping');
    add('call the bank');
  });

  it('checks off an item, ignoring case, articles and plurals', () => {
    const outcome = checkOffTodo.run({ item: read(checkOffTodo, 'item', 'the Egg'), list: 'shopping' }, ctx);
    expect(outcome.reply).toBe('Checked off eggs on your shopping list.');
    expect(outcome.result).toMatchObject({ text: 'eggs', done: true });
    expect(open('shopping')).toEqual(['milk', 'bread']);
  });

  it('finds the item on whichever list holds it when no list is named', () => {
    expect(checkOffTodo.run({ item: 'milk' }, ctx).reply).toBe('Checked off milk on your shopping list.');
    expect(checkOffTodo.run({ item: 'bank' }, ctx).reply).toBe('Checked off call the bank on your to-do list.');
  });

  it('says when an item is already checked off', () => {
    checkOffTodo.run({ item: 'eggs' }, ctx);
    expect(checkOffTodo.run({ item: 'eggs' }, ctx).reply).toBe('Eggs are already checked off your shopping list.');
  });

  it('fails helpfully when the item is not there', () => {
    const outcome = checkOffTodo.run({ item: 'cheese', list: 'shopping' }, ctx);
    expect(outcome.status).toBe('failed');
    expect(outcome.reply).toBe('I couldn\'t find "cheese" on your shopping list. It has: eggs, milk and bread.');
    expect(checkOffTodo.run({ item: 'cheese' }, ctx).reply).toBe('I couldn\'t find "cheese" on any of your lists (shopping list and to-do list).');
    expect(checkOffTodo.run({ item: 'milk', list: 'holiday' }, ctx).reply).toBe('I couldn\'t find "milk": your holiday list is empty.');
    expect(open('shopping')).toEqual(['eggs', 'milk', 'bread']);
  });

  it('fails and names the candidates when a partial name matches several items', () => {
    add('oat milk and whole milk', 'shopping');
    removeTodo.run({ item: 'milk', list: 'shopping' }, ctx);
    const outcome = checkOffTodo.run({ item: 'milk' }, ctx);
    expect(outcome.status).toBe('failed');
    expect(outcome.reply).toBe('Several items match "milk": oat milk and whole milk. Which one should I check off?');
    expect(checkOffTodo.run({ item: 'oat milk' }, ctx).status ?? 'done').toBe('done');
  });

  it('removes an item', () => {
    const outcome = removeTodo.run({ item: 'Bread', list: 'shopping' }, ctx);
    expect(outcome.reply).toBe('Removed bread from your shopping list.');
    expect(ctx.store.listItems('shopping').map((i) => i.text)).toEqual(['eggs', 'milk']);
    expect(removeTodo.run({ item: 'bread', list: 'shopping' }, ctx).status).toBe('failed');
  });

  it("cannot touch another user's items", () => {
    const bob = context('Europe/London', 'bob');
    expect(checkOffTodo.run({ item: 'eggs' }, bob).status).toBe('failed');
    expect(removeTodo.run({ item: 'milk', list: 'shopping' }, bob).status).toBe('failed');
    expect(open('shopping')).toEqual(['eggs', 'milk', 'bread']);
  });

  it('rejects arguments that break the schema', () => {
    expect(checkOffTodo.args.safeParse({ item: 'milk' }).success).toBe(true);
    expect(checkOffTodo.args.safeParse({}).success).toBe(false);
    expect(removeTodo.args.safeParse({ item: ['milk'] }).success).toBe(false);
    expect(removeTodo.args.safeParse({ item: '' }).success).toBe(false);
  });
});

describe('todos.clear', () => {
  it('asks nothing for an empty list', () => {
    expect(clearList.confirm?.({ list: 'shopping' }, ctx)).toBeNull();
    expect(clearList.run({ list: 'shopping' }, ctx).reply).toBe('Your shopping list is already empty.');
  });

  it('confirms with the count, then clears only that list', () => {
    add('eggs, milk and bread', 'shopping');
    add('call the bank');
    expect(clearList.confirm?.({ list: 'shopping' }, ctx)).toBe('Clear your shopping list (3 items)?');
    const outcome = clearList.run({ list: 'shopping' }, ctx);
    expect(outcome.reply).toBe('Cleared your shopping list (3 items removed).');
    expect(outcome.result).toEqual({ list: 'shopping', removed: 3 });
    expect(ctx.store.listItems('shopping')).toEqual([]);
    expect(open('todo')).toEqual(['call the bank']);
    expect(clearList.confirm?.({}, ctx)).toBe('Clear your to-do list (1 item)?');
  });
});

describe('todos.lists', () => {
  it('says when there are no lists', () => {
    expect(listLists.run({}, ctx).reply).toBe("You don't have any lists yet. Try: add milk to my shopping list.");
  });

  it('names each list with its open items', () => {
    add('eggs, milk and bread', 'shopping');
    add('call the bank');
    checkOffTodo.run({ item: 'call the bank' }, ctx);
    const outcome = listLists.run({}, ctx);
    expect(outcome.reply).toBe('You have 2 lists: shopping list (3 open items) and to-do list (all done).');
    expect(outcome.result).toEqual([
      { list: 'shopping', open: 3, total: 3 },
      { list: 'todo', open: 0, total: 1 },
    ]);
  });

  it('accepts only empty arguments', () => {
    expect(listLists.args.safeParse({}).success).toBe(true);
    expect(listLists.args.safeParse(null).success).toBe(false);
  });
});
