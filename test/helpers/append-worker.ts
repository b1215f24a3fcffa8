// Appends events from a separate process, to test seq assignment across connections:
//   tsx test/helpers/append-worker.ts <db path> <stream> <count> <label>
import { EventLog, append } from '../../server/src/events/event-log.ts';
import { SqliteStore } from '../../server/src/store/sqlite.ts';
import type { StreamName } from '@lodestone/shared';

const [path, stream, count, label] = process.argv.slice(2);
const store = SqliteStore.open(`file:${path}`);
const log = new EventLog(store, () => new Date());
for (let i = 0; i < Number(count); i++) {
  await log.enqueue((tx) => append(tx, stream as StreamName, 'alert.posted', null, { label, i }));
}
await store.close();
