/**
 * A separate process using a PostgreSQL store (its own connection), for the concurrency test.
 *   work <url> <schema> <name> <startAtMs> <fromMs> <toMs> <stepMs>: waits until startAtMs, then
 *     for each `now` from fromMs to toMs adds one list item "<name>-<now>" (to user "shared") and
 *     claims due notices; prints {"item":id,"text":...} and {"claimed":"kind:id"} JSON lines.
 */
import { createPostgresStore } from '../postgres-store.js';

const [mode, url, schema, name, ...rest] = process.argv.slice(2);
if (mode !== 'work') {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
const store = createPostgresStore(url, { schema });
const [startAt, from, to, step] = rest.map(Number);
while (Date.now() < startAt) {
  /* spin, so both children start at the same instant */
}
const user = store.forUser('shared');
for (let now = from; now <= to; now += step) {
  for (const item of user.addListItems('shared', [`${name}-${now}`], new Date(now))) process.stdout.write(`${JSON.stringify({ item: item.id, text: item.text })}\n`);
  for (const n of store.claimDue(new Date(now))) process.stdout.write(`${JSON.stringify({ claimed: `${n.kind}:${n.kind === 'reminder' ? n.reminder.id : n.timer.id}` })}\n`);
}
store.close();
