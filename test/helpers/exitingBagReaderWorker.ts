// A bag reader thread that dies as the reported one did: on its first request it exits with code 0,
// the request unanswered. AEM_TEST_READER_DEATHS names a file holding the number of deaths still to
// die, so that the thread the pool starts again can behave differently; at 0 the thread is the real reader.
import { readFileSync, writeFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

const counter = process.env.AEM_TEST_READER_DEATHS;
const left = counter ? Number(readFileSync(counter, 'utf8')) : 0;
if (counter && left > 0) {
  writeFileSync(counter, String(left - 1));
  parentPort?.once('message', () => process.exit(0));
} else {
  await import('../../src/data/bagReaderWorker.js');
}
