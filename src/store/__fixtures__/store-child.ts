/**
 * A separate process using a SQLite store, for tests that need real concurrency or a crash.
 *   claim <path> <startAtMs> <fromMs> <toMs> <stepMs>: waits until startAtMs, then claims with
 *     `now` stepping from fromMs to toMs; prints the claimed notices as JSON lines.
 *   add-and-hang <path> <text> <dueMs>: adds a reminder, prints "added", then waits to be killed.
 */
import { openSqliteStore } from '../sqlite-store.js';

const [mode, path, ...rest] = process.argv.slice(2);
const store = openSqliteStore(path);

if (mode === 'claim') {
  const [startAt, from, to, step] = rest.map(Number);
  // Busy-wait so that every child starts claiming at the same instant.
  while (Date.now() < startAt) {
    /* spin */
  }
  for (let now = from; now <= to; now += step) {
    for (const notice of store.claimDue(new Date(now))) {
      const id = notice.kind === 'reminder' ? notice.reminder.id : notice.timer.id;
      process.stdout.write(`${JSON.stringify({ kind: notice.kind, id })}\n`);
    }
  }
  store.close();
} else if (mode === 'add-and-hang') {
  const [text, due] = rest;
  store.forUser('u').addReminder({ text, due: new Date(Number(due)), now: new Date() });
  process.stdout.write('added\n');
  // No close: the parent kills this process, as a crash would.
  setInterval(() => undefined, 1000);
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
