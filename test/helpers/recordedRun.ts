import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEngineEventLine, type EngineEvent } from '../../src/protocol/events.js';
import { projectRoot } from './paths.js';

/** The recorded engine event stream of a real run (test/fixtures/liveCharts/events.jsonl, see its README). */
export function recordedEvents(): EngineEvent[] {
  const text = readFileSync(path.join(projectRoot, 'test', 'fixtures', 'liveCharts', 'events.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const parsed = parseEngineEventLine(l);
      if (!parsed.ok) throw new Error(`fixture line is not an engine event: ${parsed.error}`);
      return parsed.value;
    });
}
