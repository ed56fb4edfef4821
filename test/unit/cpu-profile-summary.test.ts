import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CpuProfile, type SelfTime, topSelfTimes } from '../../bench/cpu-profile-summary.ts';

const frame = (functionName: string, url = '', lineNumber = -1, columnNumber = -1) => ({
  functionName,
  url,
  lineNumber,
  columnNumber,
});

/** Self times in whole microseconds, which compare exactly. */
const microseconds = (times: readonly SelfTime[]) =>
  times.map(({ ms, ...rest }) => ({ ...rest, micros: Math.round(ms * 1000) }));

describe("the CPU profile summary's self times", () => {
  let folder: string;
  let bundle: string;
  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'plaudit-profile-test-'));
    bundle = path.join(folder, 'dist', 'main.js');
    await mkdir(path.dirname(bundle));
    await writeFile(bundle, 'line one\nfunction give() {}\n');
    // Line 2 (0-based 1), column 0 of the bundle is line 3 of ../src/give.ts.
    await writeFile(
      `${bundle}.map`,
      JSON.stringify({ version: 3, sources: ['../src/give.ts'], names: [], mappings: ';AAEA' }),
    );
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  /**
   * Samples at 100, 1,100, 2,100, 4,100 and 4,600 µs, the profile ending at 5,000: each
   * stands for the time until the next, so give has 1,000 + 400 µs, log 1,000 + 2,000 µs
   * (in two call stacks: two nodes, one function) and idle 500 µs.
   */
  const profile = (): CpuProfile => ({
    nodes: [
      { id: 1, callFrame: frame('(root)') },
      { id: 2, callFrame: frame('(idle)') },
      { id: 3, callFrame: frame('give', pathToFileURL(bundle).href, 1, 0) },
      { id: 4, callFrame: frame('log', 'node:internal/console', 9, 2) },
      { id: 5, callFrame: frame('log', 'node:internal/console', 9, 2) },
    ],
    startTime: 0,
    endTime: 5000,
    samples: [3, 4, 5, 2, 3],
    timeDeltas: [100, 1000, 1000, 2000, 500],
  });

  it('adds up the time until the next sample, by function, most first, mapped to the sources', () => {
    const give = path.relative(process.cwd(), path.join(folder, 'src', 'give.ts'));
    expect(microseconds(topSelfTimes(profile()))).toEqual([
      { name: 'log', where: 'node:internal/console:10', micros: 3000 },
      { name: 'give', where: `${give}:3`, micros: 1400 },
      { name: '(idle)', where: '', micros: 500 },
    ]);
  });

  it('counts only the samples taken within the window', () => {
    // The first sample (at 100 µs) is before it.
    const times = microseconds(topSelfTimes(profile(), { from: 1000, to: 4700 }));
    expect(times.map(({ name, micros }) => [name, micros])).toEqual([
      ['log', 3000],
      ['(idle)', 500],
      ['give', 400],
    ]);
  });
});
