import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Folders whose files start processes or browsers, or wait out faults: the long ones. */
const SLOW_FOLDERS = ['test/faults/', 'test/e2e/'];

/**
 * Vitest runs the files that took longest last time first, so that its workers end
 * together; on a fresh clone (CI) it has no times and runs the largest files first, which
 * put the longest file (two minutes quiet: it kills fifty workers) wherever its size fell,
 * 236 s into a run of 1,276 s on a busy machine. Without times, this runs the folders of
 * long files first (largest first within them, as vitest would); with times, vitest's own
 * order.
 */
export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const root = this.ctx.config.root;
    const timed = sorted.every((file) =>
      this.ctx.cache.getFileTestResults(`${file.project.name}:${relative(root, file.moduleId)}`),
    );
    if (timed) return sorted;
    const slow = (file: TestSpecification) =>
      SLOW_FOLDERS.some((folder) => relative(root, file.moduleId).startsWith(folder));
    // A stable sort: each group keeps vitest's order.
    return [...sorted].sort((a, b) => Number(slow(b)) - Number(slow(a)));
  }
}
