// Reads every bag once before training starts, so that a bag with no instances or with NaN/Inf values
// stops the experiment with every such problem listed, instead of failing a run midway.
import { BagReaderPool } from '../data/bagReaderPool.js';
import { DataError, type DataProblem, type SlideRecord } from '../data/types.js';

const CONCURRENT_READS = 2;

export async function scanFeatureValues(slides: SlideRecord[], onProgress?: (done: number, total: number) => void): Promise<void> {
  const reader = new BagReaderPool();
  const problems: DataProblem[] = [];
  let next = 0;
  let done = 0;
  const lane = async () => {
    while (next < slides.length) {
      const slide = slides[next++] as SlideRecord;
      const { bag, nonFiniteRow } = await reader.read(slide.source, slide.slideId);
      const at = { slideId: slide.slideId, file: slide.source.path };
      if (bag.n === 0) problems.push({ ...at, message: `slide ${slide.slideId} (${slide.source.path}) has no instances: remove it from the CSV or extract its features again` });
      else if (nonFiniteRow >= 0) problems.push({ ...at, message: `slide ${slide.slideId} (${slide.source.path}) has NaN or Inf in its features (first at instance ${nonFiniteRow}): extract its features again` });
      onProgress?.(++done, slides.length);
    }
  };
  try {
    await Promise.all(Array.from({ length: CONCURRENT_READS }, lane));
  } finally {
    await reader.close();
  }
  if (problems.length > 0) throw new DataError(problems);
}
