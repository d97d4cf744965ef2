// The AEM/ACMIL layout: one h5 file, one group per slide holding 'feat' [N, D], 'coords' [N, 2] and a
// 'label' attribute. Bags are read by the h5 reader with the group's dataset paths.
import { groupKeys, isGroup, scalarAttr, withH5File } from './h5File.js';
import { h5HeaderOf, readH5Bag, readH5Header, type H5BagPaths, type SourceHeader } from './h5Reader.js';
import type { ProblemAt } from './problems.js';
import { DataError, type Bag, type DataProblem } from './types.js';

export function acmilPaths(group: string): H5BagPaths {
  return { features: `${group}/feat`, coords: `${group}/coords`, group };
}

export interface AcmilSlide {
  /** The group name, used as the slide id. */
  group: string;
  /** The group's 'label' attribute, when it has one. */
  label?: number | string;
  header?: SourceHeader;
  /** Why the group's bag cannot be used. */
  problems: DataProblem[];
}

/** Every group of the file with its label and header, reading the file once. Groups without 'feat' are skipped. */
export function listAcmilSlides(file: string): Promise<AcmilSlide[]> {
  return withH5File(file, { file }, (f, m) =>
    groupKeys(f, '')
      .filter((g) => isGroup(f, g))
      .map((group) => {
        const slide: AcmilSlide = { group, problems: [] };
        const label = scalarAttr(f, group, 'label');
        if (label !== undefined) slide.label = label;
        try {
          slide.header = h5HeaderOf(f, m, acmilPaths(group), { file, slideId: group });
        } catch (err) {
          if (!(err instanceof DataError)) throw err;
          slide.problems.push(...err.problems);
        }
        return slide;
      }),
  );
}

export function readAcmilHeader(file: string, group: string, at: ProblemAt): Promise<SourceHeader> {
  return readH5Header(file, acmilPaths(group), at);
}

export function readAcmilBag(file: string, group: string, slideId: string): Promise<Bag> {
  return readH5Bag(file, acmilPaths(group), slideId);
}
