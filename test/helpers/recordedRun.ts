import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEngineEventLine, type EngineEvent } from '../../src/protocol/events.js';
import { projectRoot } from './paths.js';

/** A recorded engine event stream of a real run (test/fixtures/liveCharts/events.jsonl, or mha-events.jsonl of a four-head MHA run; see its README). */
export function recordedEvents(file = 'events.jsonl'): EngineEvent[] {
  const text = readFileSync(path.join(projectRoot, 'test', 'fixtures', 'liveCharts', file), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const parsed = parseEngineEventLine(l);
      if (!parsed.ok) throw new Error(`fixture line is not an engine event: ${parsed.error}`);
      return parsed.value;
    });
}
