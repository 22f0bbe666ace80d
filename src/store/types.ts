/**
 * The persistence interface of the runtime. One `Store` holds every user's data; skills only
 * ever see a `UserStore`, which is bound to one user id, so a skill cannot reach another user's
 * reminders, lists or timers. Implementations: SQLite (default, `sqlite-store.ts`), PostgreSQL
 * (`postgres-store.ts`, for several server processes on one state) and an in-memory one for unit
 * tests (`memory-store.ts`). Every write is committed before the call
 * returns: once a reply says "done", the data survives a crash.
 */

/** A reminder of one user. Times are UTC instants (`Date`). */
export interface Reminder {
  id: number;
  text: string;
  due: Date;
  createdAt: Date;
  /** When it was handed to a channel (printed, pushed); null while pending. */
  deliveredAt: Date | null;
}

/** One item of a named list. */
export interface ListItem {
  id: number;
  list: string;
  text: string;
  done: boolean;
  createdAt: Date;
}

/** A running or finished countdown timer. */
export interface Timer {
  id: number;
  /** Optional user-given name ("pasta"). */
  name: string | null;
  durationMs: number;
  startedAt: Date;
  endsAt: Date;
  deliveredAt: Date | null;
}

/** A due reminder or finished timer claimed for delivery. */
export type DueNotice =
  | { kind: 'reminder'; user: string; reminder: Reminder }
  | { kind: 'timer'; user: string; timer: Timer };

/** The data of one user. */
export interface UserStore {
  readonly user: string;
  addReminder(input: { text: string; due: Date; now: Date }): Reminder;
  /** Pending reminders (not delivered), soonest first; optionally only those due in [from, to). */
  listReminders(range?: { from?: Date; to?: Date }): Reminder[];
  /** Deletes one pending reminder; false when it did not exist, was already delivered, or belongs to someone else. */
  cancelReminder(id: number): boolean;
  /** Deletes all pending reminders; returns how many. */
  cancelAllReminders(): number;

  /** Adds items to a list (created on first use); returns the new items. List names are stored lower-case. */
  addListItems(list: string, items: string[], now: Date): ListItem[];
  /** Items of one list, in the order they were added (done items included, flagged). */
  listItems(list: string): ListItem[];
  /** Marks an item done (checked off) or removes it; false when it did not exist. */
  checkOffItem(id: number): boolean;
  removeItem(id: number): boolean;
  /** Removes every item of a list; returns how many. */
  clearList(list: string): number;
  /** Names of the user's lists (sorted by name) with item counts (open items and all). */
  lists(): { list: string; open: number; total: number }[];

  addTimer(input: { name: string | null; durationMs: number; now: Date }): Timer;
  /** Timers that have not been delivered yet (running, or finished but not yet announced), soonest end first. */
  listTimers(): Timer[];
  /** Deletes one timer not yet delivered; false when it did not exist, was delivered, or belongs to someone else. */
  cancelTimer(id: number): boolean;
}

/** A persisted conversation event (see src/dialogue/events.ts for the event kinds). */
export interface StoredEvent {
  seq: number;
  conversation: string;
  at: Date;
  /** The event object as JSON-serialisable data. */
  data: unknown;
}

export interface Store {
  /** The data of one user; every query of the returned object is scoped to that user. */
  forUser(user: string): UserStore;
  /** Appends events to a conversation in one transaction; returns them with sequence numbers (1, 2, ... per conversation). */
  appendEvents(conversation: string, events: unknown[], at: Date): StoredEvent[];
  /** All events of a conversation in order. */
  loadEvents(conversation: string): StoredEvent[];
  /**
   * The sequence number of the conversation's last event (0 when none). A process that caches a
   * conversation's state in memory (the `Assistant` does) can compare it with the last event it
   * saw to notice that another process sharing the store appended since, and reload. Optional so
   * that stores written elsewhere keep compiling; all of Duet's stores implement it.
   */
  lastEventSeq?(conversation: string): number;
  /**
   * Claims every reminder and timer due at `now` and not yet delivered, marking them delivered in
   * the same transaction, so each is handed out exactly once even with several claimers.
   */
  claimDue(now: Date, user?: string): DueNotice[];
  /**
   * Resolves once every write made so far is committed to disk; rejects (with a StoreError) if
   * that commit failed and the writes since the last one were rolled back. Only a store that
   * commits writes in groups (SQLite with `groupCommit`) has anything to wait for; a caller that
   * acknowledges a write (a server replying) waits for this first.
   */
  durable?(): Promise<void>;
  close(): void;
}
