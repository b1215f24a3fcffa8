// Appends events from a separate process, to test seq assignment across connections:
//   tsx test/helpers/append-worker.ts <db path> <stream> <count> <label>
import { openDatabase } from '../../server/src/db/connection.ts';
import { EventLog, append } from '../../server/src/events/event-log.ts';
import type { StreamName } from '@lodestone/shared';

const [path, stream, count, label] = process.argv.slice(2);
const handle = openDatabase(`file:${path}`);
const log = new EventLog(handle, () => new Date());
for (let i = 0; i < Number(count); i++) {
  log.transaction((tx) => append(tx, stream as StreamName, 'alert.posted', null, { label, i }));
}
handle.close();
