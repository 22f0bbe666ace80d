/**
 * A writer for the group-commit crash test: a SQLite store with `groupCommit`, adding reminders
 * numbered from <first> as fast as it can, several per turn of the event loop, and printing
 * "ack <n>" only once `durable()` has resolved for it, as `duet serve` replies only then. It never
 * stops by itself: the parent kills it with SIGKILL.
 *   group-writer.ts <storePath> <first>
 */
import { openSqliteStore } from '../sqlite-store.js';

const [storePath, first] = process.argv.slice(2);
const store = openSqliteStore(storePath, { groupCommit: true });
const user = store.forUser('group');
const due = new Date('2026-12-01T10:00:00Z');
process.stdout.write('ready\n');
for (let n = Number(first); ; n += 4) {
  // Four writes in one turn of the loop share a commit; each is acknowledged after it.
  const batch = [n, n + 1, n + 2, n + 3];
  for (const i of batch) user.addReminder({ text: `reminder ${i}`, due, now: due });
  // The rest of a server's turns run before the commit: a kill in this window must lose only
  // writes nobody was told about.
  const until = performance.now() + 2;
  while (performance.now() < until);
  await store.durable!();
  process.stdout.write(batch.map((i) => `ack ${i}\n`).join(''));
}
