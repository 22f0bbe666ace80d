/**
 * An in-memory `Store` with the same behaviour as the SQLite one (same ordering, same id
 * sequences, same isolation), for unit tests of the runtime. Values go in and come out as
 * copies, as they would through a database.
 */
import { StoreError } from '../errors.js';
import { normaliseListName } from './list-name.js';
import type { DueNotice, ListItem, Reminder, Store, StoredEvent, Timer, UserStore } from './types.js';

interface Owned<T> {
  user: string;
  row: T;
}

const copyReminder = (r: Reminder): Reminder => ({
  ...r,
  due: new Date(r.due),
  createdAt: new Date(r.createdAt),
  deliveredAt: r.deliveredAt && new Date(r.deliveredAt),
});
const copyItem = (i: ListItem): ListItem => ({ ...i, createdAt: new Date(i.createdAt) });
const copyTimer = (t: Timer): Timer => ({
  ...t,
  startedAt: new Date(t.startedAt),
  endsAt: new Date(t.endsAt),
  deliveredAt: t.deliveredAt && new Date(t.deliveredAt),
});

/** Same check as the SQLite store: an invalid Date is a programming error, not a row. */
function valid(date: Date, what: string): Date {
  const t = date instanceof Date ? date.getTime() : NaN;
  if (!Number.isFinite(t)) throw new TypeError(`${what} must be a valid Date`);
  return new Date(t);
}

const byDue = (a: Reminder, b: Reminder) => a.due.getTime() - b.due.getTime() || a.id - b.id;
const byEnd = (a: Timer, b: Timer) => a.endsAt.getTime() - b.endsAt.getTime() || a.id - b.id;

/** A new, empty in-memory store. */
export function createMemoryStore(): Store {
  const reminders = new Map<number, Owned<Reminder>>();
  const items = new Map<number, Owned<ListItem>>();
  const timers = new Map<number, Owned<Timer>>();
  const events = new Map<string, StoredEvent[]>();
  // Ids are never reused, as with SQLite AUTOINCREMENT: a stale id cannot hit a newer row.
  const nextId = { reminder: 1, item: 1, timer: 1 };
  let open = true;

  const check = () => {
    if (!open) throw new StoreError('STORE_CLOSED', ':memory:', 'The in-memory store is closed; create a new one.');
  };

  const ownedBy = <T>(map: Map<number, Owned<T>>, user: string, id: number): T | undefined => {
    const owned = map.get(id);
    return owned && owned.user === user ? owned.row : undefined;
  };

  function forUser(user: string): UserStore {
    const mine = <T>(map: Map<number, Owned<T>>): T[] => [...map.values()].filter((o) => o.user === user).map((o) => o.row);
    return {
      user,
      addReminder(input) {
        check();
        const reminder: Reminder = {
          id: nextId.reminder++,
          text: input.text,
          due: valid(input.due, 'due'),
          createdAt: valid(input.now, 'now'),
          deliveredAt: null,
        };
        reminders.set(reminder.id, { user, row: reminder });
        return copyReminder(reminder);
      },
      listReminders(range = {}) {
        check();
        const from = range.from ? valid(range.from, 'from').getTime() : -Infinity;
        const to = range.to ? valid(range.to, 'to').getTime() : Infinity;
        return mine(reminders)
          .filter((r) => r.deliveredAt === null && r.due.getTime() >= from && r.due.getTime() < to)
          .sort(byDue)
          .map(copyReminder);
      },
      cancelReminder(id) {
        check();
        const r = ownedBy(reminders, user, id);
        if (!r || r.deliveredAt !== null) return false;
        return reminders.delete(id);
      },
      cancelAllReminders() {
        check();
        const pending = mine(reminders).filter((r) => r.deliveredAt === null);
        for (const r of pending) reminders.delete(r.id);
        return pending.length;
      },

      addListItems(list, texts, now) {
        check();
        const name = normaliseListName(list);
        const createdAt = valid(now, 'now');
        return texts.map((text) => {
          const item: ListItem = { id: nextId.item++, list: name, text, done: false, createdAt: new Date(createdAt) };
          items.set(item.id, { user, row: item });
          return copyItem(item);
        });
      },
      listItems(list) {
        check();
        const name = normaliseListName(list);
        return mine(items)
          .filter((i) => i.list === name)
          .sort((a, b) => a.id - b.id)
          .map(copyItem);
      },
      checkOffItem(id) {
        check();
        const item = ownedBy(items, user, id);
        if (!item) return false;
        item.done = true;
        return true;
      },
      removeItem(id) {
        check();
        return ownedBy(items, user, id) !== undefined && items.delete(id);
      },
      clearList(list) {
        check();
        const name = normaliseListName(list);
        const doomed = mine(items).filter((i) => i.list === name);
        for (const i of doomed) items.delete(i.id);
        return doomed.length;
      },
      lists() {
        check();
        const counts = new Map<string, { list: string; open: number; total: number }>();
        for (const i of mine(items)) {
          const c = counts.get(i.list) ?? { list: i.list, open: 0, total: 0 };
          c.total += 1;
          if (!i.done) c.open += 1;
          counts.set(i.list, c);
        }
        // By name, like the SQLite store's ORDER BY list.
        return [...counts.values()].sort((a, b) => (a.list < b.list ? -1 : a.list > b.list ? 1 : 0));
      },

      addTimer(input) {
        check();
        const startedAt = valid(input.now, 'now');
        if (!Number.isFinite(input.durationMs)) throw new TypeError('durationMs must be a finite number');
        const durationMs = Math.round(input.durationMs);
        const timer: Timer = {
          id: nextId.timer++,
          name: input.name,
          durationMs,
          startedAt,
          endsAt: new Date(startedAt.getTime() + durationMs),
          deliveredAt: null,
        };
        timers.set(timer.id, { user, row: timer });
        return copyTimer(timer);
      },
      listTimers() {
        check();
        return mine(timers)
          .filter((t) => t.deliveredAt === null)
          .sort(byEnd)
          .map(copyTimer);
      },
      cancelTimer(id) {
        check();
        const t = ownedBy(timers, user, id);
        if (!t || t.deliveredAt !== null) return false;
        return timers.delete(id);
      },
    };
  }

  return {
    forUser,
    appendEvents(conversation, list, at) {
      check();
      const when = valid(at, 'at');
      const log = events.get(conversation) ?? [];
      const stored = list.map((event, i) => ({
        seq: log.length + i + 1,
        conversation,
        at: new Date(when),
        // The JSON round trip a database does: what could not be stored is not kept either.
        data: JSON.parse(JSON.stringify(event) ?? 'null') as unknown,
      }));
      events.set(conversation, [...log, ...stored]);
      return stored.map((e) => ({ ...e, at: new Date(e.at), data: structuredClone(e.data) }));
    },
    loadEvents(conversation) {
      check();
      return (events.get(conversation) ?? []).map((e) => ({ ...e, at: new Date(e.at), data: structuredClone(e.data) }));
    },
    lastEventSeq(conversation) {
      check();
      return events.get(conversation)?.at(-1)?.seq ?? 0;
    },
    claimDue(now, user) {
      check();
      const t = valid(now, 'now').getTime();
      const notices: { at: number; id: number; notice: DueNotice }[] = [];
      for (const { user: owner, row } of reminders.values()) {
        if ((user === undefined || owner === user) && row.deliveredAt === null && row.due.getTime() <= t) {
          row.deliveredAt = new Date(t);
          notices.push({ at: row.due.getTime(), id: row.id, notice: { kind: 'reminder', user: owner, reminder: copyReminder(row) } });
        }
      }
      for (const { user: owner, row } of timers.values()) {
        if ((user === undefined || owner === user) && row.deliveredAt === null && row.endsAt.getTime() <= t) {
          row.deliveredAt = new Date(t);
          notices.push({ at: row.endsAt.getTime(), id: row.id, notice: { kind: 'timer', user: owner, timer: copyTimer(row) } });
        }
      }
      notices.sort((a, b) => a.at - b.at || a.id - b.id);
      return notices.map((n) => n.notice);
    },
    close() {
      open = false;
    },
  };
}
