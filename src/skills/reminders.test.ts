import { beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStore, type Store } from '../store/index.js';
import { cancelAllReminders, cancelReminder, cleanTask, createReminder, listReminders, reminderSkills } from './reminders.js';
import type { SkillContext, SkillSlot } from './types.js';

const NOW = new Date('2026-11-25T10:00:00Z'); // a Wednesday

let store: Store;
let ctx: SkillContext;
beforeEach(() => {
  store = createMemoryStore();
  ctx = context('Europe/London');
  return () => store.close();
});

function context(timeZone: string, now = NOW, user = 'alice'): SkillContext {
  return { user, now, timeZone, store: store.forUser(user) };
}

function slot(skill: { slots: SkillSlot[] }, name: string): SkillSlot {
  const found = skill.slots.find((s) => s.name === name);
  if (!found) throw new Error(`no slot ${name}`);
  return found;
}

/** Reads a slot like the dialogue manager does, failing the test when it does not parse. */
function read(skill: { slots: SkillSlot[] }, name: string, text: string, c = ctx): never {
  const parsed = slot(skill, name).parse(text, c);
  if (!parsed.ok) throw new Error(`${name} "${text}": ${parsed.reason}`);
  return parsed.value as never;
}

/** Sets a reminder through the skill, as a user would. */
function remind(task: string, when: string, c = ctx) {
  const args = createReminder.args.parse({ task: read(createReminder, 'task', task, c), when: read(createReminder, 'when', when, c) });
  expect(createReminder.validate?.(args, c)).toBeNull();
  return createReminder.run(args, c);
}

describe('reminders.create', () => {
  it('declares its slots as in the demo assistant contract', () => {
    expect(createReminder.slots.map((s) => [s.name, s.required, s.prompt])).toEqual([
      ['task', true, 'What should I remind you about?'],
      ['when', true, 'When should I remind you?'],
    ]);
    expect(slot(createReminder, 'when').example).toBe('tomorrow at 5pm');
    expect(reminderSkills.map((s) => s.name)).toEqual(['reminders.create', 'reminders.list', 'reminders.cancel', 'reminders.cancel_all']);
  });

  it('cleans the task text', () => {
    expect(cleanTask('to call mom.')).toBe('call mom');
    expect(cleanTask('about the meeting!')).toBe('the meeting');
    expect(cleanTask('that the oven is on ')).toBe('the oven is on');
    expect(cleanTask('  buy   milk, please')).toBe('buy milk');
    expect(read(createReminder, 'task', 'to water the plants?')).toBe('water the plants');
    expect(slot(createReminder, 'task').parse(' to ... ', ctx).ok).toBe(false);
  });

  it('reads the time as ISO with the offset of the user zone, and finds it in an utterance', () => {
    expect(read(createReminder, 'when', 'tomorrow at 5pm')).toBe('2026-11-26T17:00:00+00:00');
    const found = slot(createReminder, 'when').find?.('remind me to call mom tomorrow at 5pm', ctx);
    expect(found).toEqual({ value: '2026-11-26T17:00:00+00:00', text: 'tomorrow at 5pm' });
    const bad = slot(createReminder, 'when').parse('purple', ctx);
    expect(bad.ok).toBe(false);
    expect(slot(createReminder, 'when').find?.('remind me to call mom', ctx)).toBeNull();
  });

  it('sets a reminder and says when, in the user zone', () => {
    const outcome = remind('to call mom', 'tomorrow at 5pm');
    expect(outcome.reply).toBe("OK, I'll remind you to call mom tomorrow at 17:00.");
    expect(outcome.status ?? 'done').toBe('done');
    const [stored] = ctx.store.listReminders();
    expect(outcome.result).toEqual({ id: stored.id, text: 'call mom', due: '2026-11-26T17:00:00+00:00' });
    expect(stored.due).toEqual(new Date('2026-11-26T17:00:00Z'));
    expect(JSON.parse(JSON.stringify(outcome.result))).toEqual(outcome.result);
  });

  it('speaks to the user: "my" becomes "your", and a thing is reminded "about"', () => {
    expect(remind('call my sister', 'friday at 6pm').reply).toBe("OK, I'll remind you to call your sister on Fri 27 Nov at 18:00.");
    expect(remind('about the meeting', 'in 20 minutes').reply).toBe("OK, I'll remind you about the meeting today at 10:20.");
    // What is stored is what the user said.
    expect(ctx.store.listReminders().map((r) => r.text)).toEqual(['the meeting', 'call my sister']);
  });

  it('refuses a time that has already passed, on the when slot', () => {
    const args = { task: 'call mom', when: read(createReminder, 'when', 'today at 9am') };
    const problem = createReminder.validate?.(args, ctx);
    expect(problem?.slot).toBe('when');
    expect(problem?.reason).toMatch(/^That time has already passed/);
    expect(problem?.reason).toContain('today at 09:00');
    // Exactly now is not the future either.
    expect(createReminder.validate?.({ task: 'x', when: '2026-11-25T10:00:00+00:00' }, ctx)?.slot).toBe('when');
    expect(createReminder.validate?.({ task: 'x', when: '2026-11-25T10:01:00+00:00' }, ctx)).toBeNull();
  });

  it('rejects arguments that break the schema', () => {
    const ok = { task: 'call mom', when: '2026-11-26T17:00:00+00:00' };
    expect(createReminder.args.safeParse(ok).success).toBe(true);
    expect(createReminder.args.safeParse({ task: 'call mom' }).success).toBe(false);
    expect(createReminder.args.safeParse({ ...ok, when: 'tomorrow at 5pm' }).success).toBe(false);
    expect(createReminder.args.safeParse({ ...ok, when: '2026-11-26T17:00:00' }).success).toBe(false);
    expect(createReminder.args.safeParse({ ...ok, task: '   ' }).success).toBe(false);
    expect(createReminder.args.safeParse({ ...ok, task: 42 }).success).toBe(false);
  });

  it('undoes a reminder it set', () => {
    const outcome = remind('call mom', 'tomorrow at 5pm');
    expect(createReminder.undo?.(outcome.result, ctx)).toBe(true);
    expect(ctx.store.listReminders()).toEqual([]);
    expect(createReminder.undo?.(outcome.result, ctx)).toBe(false);
    expect(createReminder.undo?.(null, ctx)).toBe(false);
  });

  it('reads and says times in another zone (New York)', () => {
    const ny = context('America/New_York');
    const outcome = remind('call mom', 'tomorrow at 5pm', ny);
    expect(outcome.reply).toBe("OK, I'll remind you to call mom tomorrow at 17:00.");
    expect(outcome.result).toMatchObject({ due: '2026-11-26T17:00:00-05:00' });
    expect(ny.store.listReminders()[0].due).toEqual(new Date('2026-11-26T22:00:00Z'));
  });

  it('uses the day of the user zone where it is already evening (Tokyo, 19:00)', () => {
    const tokyo = context('Asia/Tokyo');
    // 9am today in Tokyo has passed; tomorrow at 9 is the 26th there.
    expect(createReminder.validate?.({ task: 'x', when: read(createReminder, 'when', 'today at 9am', tokyo) }, tokyo)?.slot).toBe('when');
    expect(remind('stretch', 'tomorrow at 9am', tokyo).result).toMatchObject({ due: '2026-11-26T09:00:00+09:00' });
  });
});

describe('reminders.list', () => {
  it('says so when there are none', () => {
    expect(listReminders.run({}, ctx)).toEqual({ reply: 'You have no reminders.', result: [] });
    const tomorrow = read(listReminders, 'when', 'tomorrow');
    expect(listReminders.run({ when: tomorrow }, ctx).reply).toBe('You have no reminders tomorrow.');
  });

  it('lists pending reminders numbered soonest first', () => {
    remind('call mom', 'tomorrow at 5pm');
    remind('take pills', 'in 20 minutes');
    remind('the dentist', 'friday at 9am');
    const outcome = listReminders.run({}, ctx);
    expect(outcome.reply).toBe(
      ['You have 3 reminders:', '1. take pills, today at 10:20', '2. call mom, tomorrow at 17:00', '3. the dentist, Fri 27 Nov at 09:00'].join('\n'),
    );
    expect(outcome.result).toEqual([
      expect.objectContaining({ number: 1, text: 'take pills', due: '2026-11-25T10:20:00+00:00' }),
      expect.objectContaining({ number: 2, text: 'call mom' }),
      expect.objectContaining({ number: 3, text: 'the dentist' }),
    ]);
  });

  it('lists one day or week, keeping the numbers of the whole list', () => {
    remind('take pills', 'in 20 minutes');
    remind('call mom', 'tomorrow at 5pm');
    remind('water plants', 'tomorrow at 8am');
    remind('next week thing', 'next wednesday at noon');
    const tomorrow = listReminders.run({ when: read(listReminders, 'when', 'tomorrow') }, ctx);
    expect(tomorrow.reply).toBe(['You have 2 reminders tomorrow:', '2. water plants, tomorrow at 08:00', '3. call mom, tomorrow at 17:00'].join('\n'));
    const week = listReminders.run({ when: read(listReminders, 'when', 'this week') }, ctx);
    expect((week.result as unknown[]).length).toBe(3);
    expect(week.reply.split('\n')[0]).toBe('You have 3 reminders this week:');
  });

  it('finds the day in a question the model did not tag', () => {
    const found = slot(listReminders, 'when').find?.('what are my reminders for this week', ctx);
    expect(found?.text).toBe('this week');
    expect((found?.value as { label: string }).label).toBe('this week');
    expect((slot(listReminders, 'when').find?.("what's on tomorrow", ctx)?.value as { label: string }).label).toBe('tomorrow');
    expect(slot(listReminders, 'when').find?.('what are my reminders', ctx)).toBeNull();
  });

  it('does not list delivered reminders', () => {
    remind('take pills', 'in 20 minutes');
    remind('call mom', 'tomorrow at 5pm');
    store.claimDue(new Date('2026-11-25T10:30:00Z'));
    expect(listReminders.run({}, ctx).reply).toBe('You have 1 reminder:\n1. call mom, tomorrow at 17:00');
  });

  it('shows only the current user reminders', () => {
    remind('call mom', 'tomorrow at 5pm');
    expect(listReminders.run({}, context('Europe/London', NOW, 'bob')).reply).toBe('You have no reminders.');
  });

  it('uses the day of the user zone (Tokyo)', () => {
    const tokyo = context('Asia/Tokyo');
    // 2026-11-25T16:00Z is already the 26th in Tokyo: "tomorrow" there, not "today".
    remind('late call', 'in 6 hours', tokyo);
    expect(listReminders.run({ when: read(listReminders, 'when', 'today', tokyo) }, tokyo).reply).toBe('You have no reminders today.');
    expect(listReminders.run({ when: read(listReminders, 'when', 'tomorrow', tokyo) }, tokyo).reply).toBe(
      'You have 1 reminder tomorrow:\n1. late call, tomorrow at 01:00',
    );
  });

  it('rejects a malformed range', () => {
    expect(listReminders.args.safeParse({}).success).toBe(true);
    expect(listReminders.args.safeParse({ when: 'tomorrow' }).success).toBe(false);
    expect(listReminders.args.safeParse({ when: { from: 'x', to: 'y', label: 'z' } }).success).toBe(false);
  });
});

describe('reminders.cancel', () => {
  beforeEach(() => {
    remind('take pills', 'in 20 minutes');
    remind('call mom', 'tomorrow at 5pm');
    remind('the dentist appointment', 'friday at 9am');
  });

  const texts = () => ctx.store.listReminders().map((r) => r.text);

  it('cancels by number, the position in the list (soonest first)', () => {
    const args = { number: read(cancelReminder, 'number', 'second') };
    expect(args).toEqual({ number: 2 });
    expect(cancelReminder.validate?.(args, ctx)).toBeNull();
    expect(cancelReminder.confirm?.(args, ctx)).toBeNull();
    const outcome = cancelReminder.run(args, ctx);
    expect(outcome.reply).toBe('OK, I cancelled your reminder to call mom tomorrow at 17:00.');
    expect(outcome.result).toMatchObject({ number: 2, text: 'call mom' });
    expect(texts()).toEqual(['take pills', 'the dentist appointment']);
  });

  it('takes a position said as the description ("the last one", "3")', () => {
    expect(cancelReminder.run({ reminder: 'the last one' }, ctx).result).toMatchObject({ text: 'the dentist appointment' });
    expect(cancelReminder.run({ reminder: 'reminder 1' }, ctx).result).toMatchObject({ text: 'take pills' });
    expect(texts()).toEqual(['call mom']);
  });

  it('cancels by description, best word overlap, ignoring case', () => {
    expect(cancelReminder.validate?.({ reminder: 'DENTIST' }, ctx)).toBeNull();
    const outcome = cancelReminder.run({ reminder: read(cancelReminder, 'reminder', 'the Dentist one') }, ctx);
    expect(outcome.reply).toBe('OK, I cancelled your reminder about the dentist appointment on Fri 27 Nov at 09:00.');
    expect(texts()).toEqual(['take pills', 'call mom']);
    expect(cancelReminder.run({ reminder: 'pill' }, ctx).result).toMatchObject({ text: 'take pills' });
  });

  it('takes "last" as the number of the last reminder', () => {
    const args = { number: read(cancelReminder, 'number', 'last') };
    expect(args).toEqual({ number: 3 });
    expect(cancelReminder.run(args, ctx).result).toMatchObject({ text: 'the dentist appointment' });
  });

  it('cancels by the time or day it is due when the words match nothing', () => {
    expect(cancelReminder.validate?.({ reminder: '5pm' }, ctx)).toBeNull();
    expect(cancelReminder.run({ reminder: '5pm' }, ctx).result).toMatchObject({ text: 'call mom' });
    expect(cancelReminder.run({ reminder: 'friday' }, ctx).result).toMatchObject({ text: 'the dentist appointment' });
    remind('stretch', 'tomorrow at 8am');
    expect(cancelReminder.run({ reminder: 'tomorrow morning' }, ctx).result).toMatchObject({ text: 'stretch' });
    expect(cancelReminder.run({ reminder: '6pm' }, ctx).status).toBe('failed');
    expect(texts()).toEqual(['take pills']);
  });

  it('fails without cancelling anything when no reminder matches, and lists them', () => {
    const outcome = cancelReminder.run({ reminder: 'zebra' }, ctx);
    expect(outcome.status).toBe('failed');
    expect(outcome.reply).toBe(
      ['None of your reminders matches "zebra". You have:', '1. take pills, today at 10:20', '2. call mom, tomorrow at 17:00', '3. the dentist appointment, Fri 27 Nov at 09:00'].join('\n'),
    );
    expect(texts()).toHaveLength(3);
  });

  it('fails for a number past the end of the list', () => {
    const outcome = cancelReminder.run({ number: 7 }, ctx);
    expect(outcome.status).toBe('failed');
    expect(outcome.reply).toMatch(/^There is no reminder 7; you have 3 reminders:/);
    expect(texts()).toHaveLength(3);
    expect(slot(cancelReminder, 'number').parse('zero', ctx).ok).toBe(false);
    expect(cancelReminder.args.safeParse({ number: 0 }).success).toBe(false);
    expect(cancelReminder.args.safeParse({ number: 1.5 }).success).toBe(false);
    expect(cancelReminder.args.safeParse({ number: '2' }).success).toBe(false);
  });

  it('asks which one, listing them, when neither a description nor a number is given', () => {
    const problem = cancelReminder.validate?.({}, ctx);
    expect(problem).toEqual({
      slot: 'reminder',
      reason: 'You have 3 reminders: 1. take pills (today at 10:20); 2. call mom (tomorrow at 17:00); 3. the dentist appointment (Fri 27 Nov at 09:00).',
      example: 'the second one',
    });
    // The answer to that question fills the reminder slot.
    const answer = { reminder: read(cancelReminder, 'reminder', 'the second one') };
    expect(cancelReminder.validate?.(answer, ctx)).toBeNull();
    expect(cancelReminder.run(answer, ctx).result).toMatchObject({ text: 'call mom' });
  });

  it('asks which one when a description matches several equally', () => {
    remind('call the dentist', 'friday at 10am');
    const problem = cancelReminder.validate?.({ reminder: 'dentist' }, ctx);
    expect(problem?.slot).toBe('reminder');
    expect(problem?.reason).toBe('2 reminders match "dentist": 3. the dentist appointment (Fri 27 Nov at 09:00); 4. call the dentist (Fri 27 Nov at 10:00).');
    // More words decide it.
    expect(cancelReminder.validate?.({ reminder: 'dentist appointment' }, ctx)).toBeNull();
  });

  it('confirms before cancelling the only reminder when none was named', () => {
    ctx.store.cancelAllReminders();
    remind('call mom', 'tomorrow at 5pm');
    expect(cancelReminder.validate?.({}, ctx)).toBeNull();
    expect(cancelReminder.confirm?.({}, ctx)).toBe('Cancel your reminder to call mom tomorrow at 17:00?');
    expect(cancelReminder.run({}, ctx).reply).toBe('OK, I cancelled your reminder to call mom tomorrow at 17:00.');
    expect(texts()).toEqual([]);
  });

  it('fails when there are no reminders at all', () => {
    ctx.store.cancelAllReminders();
    expect(cancelReminder.validate?.({ reminder: 'dentist' }, ctx)).toBeNull();
    expect(cancelReminder.run({ reminder: 'dentist' }, ctx)).toEqual({ status: 'failed', reply: 'You have no reminders to cancel.', result: null });
  });

  it("cannot cancel another user's reminder", () => {
    const bob = context('Europe/London', NOW, 'bob');
    expect(cancelReminder.run({ number: 1 }, bob).status).toBe('failed');
    expect(cancelReminder.run({ reminder: 'dentist' }, bob).status).toBe('failed');
    expect(texts()).toHaveLength(3);
  });

  it('undo puts the cancelled reminder back', () => {
    const outcome = cancelReminder.run({ reminder: 'mom' }, ctx);
    expect(cancelReminder.undo?.(outcome.result, ctx)).toBe(true);
    expect(texts()).toEqual(['take pills', 'call mom', 'the dentist appointment']);
  });
});

describe('reminders.cancel_all', () => {
  it('asks nothing and deletes nothing when there are no reminders', () => {
    expect(cancelAllReminders.confirm?.({}, ctx)).toBeNull();
    expect(cancelAllReminders.run({}, ctx).reply).toBe('You have no reminders to delete.');
  });

  it('confirms with the count, deletes them all and says how many', () => {
    remind('take pills', 'in 20 minutes');
    remind('call mom', 'tomorrow at 5pm');
    remind('the dentist', 'friday at 9am');
    expect(cancelAllReminders.confirm?.({}, ctx)).toBe('Delete all 3 reminders?');
    const outcome = cancelAllReminders.run({}, ctx);
    expect(outcome.reply).toBe('Deleted all 3 reminders.');
    expect(outcome.result).toMatchObject({ deleted: 3 });
    expect(ctx.store.listReminders()).toEqual([]);
    expect(cancelAllReminders.undo?.(outcome.result, ctx)).toBe(true);
    expect(ctx.store.listReminders()).toHaveLength(3);
  });

  it('names the only reminder in its question', () => {
    remind('call mom', 'tomorrow at 5pm');
    expect(cancelAllReminders.confirm?.({}, ctx)).toBe('Delete your only reminder (call mom, tomorrow at 17:00)?');
    expect(cancelAllReminders.run({}, ctx).reply).toBe('Deleted your reminder.');
  });

  it("leaves other users' reminders alone", () => {
    remind('call mom', 'tomorrow at 5pm');
    const bob = context('Europe/London', NOW, 'bob');
    expect(cancelAllReminders.confirm?.({}, bob)).toBeNull();
    expect(cancelAllReminders.run({}, bob).result).toMatchObject({ deleted: 0 });
    expect(ctx.store.listReminders()).toHaveLength(1);
  });
});

describe('corrections of a reminder time (rereadWhen)', () => {
  const ctx = { user: 'u', now: new Date('2026-11-25T10:00:00Z'), timeZone: 'Europe/London', store: createMemoryStore().forUser('u') };
  it('keeps the day for a bare time and the time for a bare day', async () => {
    const { rereadWhen } = await import('./reminders.js');
    expect(rereadWhen('6pm', '2026-11-26T17:00:00+00:00', ctx)).toEqual({ ok: true, value: '2026-11-26T18:00:00+00:00' });
    expect(rereadWhen('thursday', '2026-11-27T10:00:00+00:00', ctx)).toEqual({ ok: true, value: '2026-11-26T10:00:00+00:00' });
    expect(rereadWhen('tomorrow at 8am', '2026-11-30T17:00:00+00:00', ctx)).toEqual({ ok: true, value: '2026-11-26T08:00:00+00:00' });
  });
});
