import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import SECONDS from './durations.json' with { type: 'json' };

/** A file not in the table yet: placed among the middling ones. */
const UNKNOWN_SECONDS = 5;

/**
 * Longest files first, by the seconds each took in a recorded run (durations.json): on two workers
 * the long end-to-end files then overlap each other and the short ones fill the gaps at the end,
 * where vitest's own order (by its cache, or by file size on a fresh clone) could leave one
 * 2-minute file running alone at the end.
 */
export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const seconds = (f: TestSpecification): number => (SECONDS as Record<string, number>)[path.relative(f.project.config.root, f.moduleId).split(path.sep).join('/')] ?? UNKNOWN_SECONDS;
    return [...files].sort((a, b) => seconds(b) - seconds(a));
  }
}
