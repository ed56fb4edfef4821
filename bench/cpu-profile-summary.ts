/**
 * The summary a benchmark prints of the V8 CPU profile (`node --cpu-prof`) of the process
 * it measured: the functions that took the most self time (time on the CPU in the function
 * itself, not in what it called), each with where it is written. Positions in the build
 * (dist/, bundled by esbuild) are mapped back to src/ through the build's source maps.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod/v4';

/** The parts of a .cpuprofile the summary reads (the format Chrome DevTools reads). */
const cpuProfileShape = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      children: z.array(z.number()).optional(),
      callFrame: z.object({
        functionName: z.string(),
        url: z.string(),
        lineNumber: z.number(),
        columnNumber: z.number(),
      }),
    }),
  ),
  /** Microseconds, on the clock of `process.hrtime` (the monotonic clock, on Linux). */
  startTime: z.number(),
  endTime: z.number(),
  /** The node (call frame) on top of the stack at each sample. */
  samples: z.array(z.number()),
  /** Microseconds between one sample and the one before (the first: since startTime). */
  timeDeltas: z.array(z.number()),
});
export type CpuProfile = z.infer<typeof cpuProfileShape>;
type CallFrame = CpuProfile['nodes'][number]['callFrame'];

/** A window of the profile, in microseconds of the monotonic clock (`hrtime`). */
export interface ProfileWindow {
  readonly from: number;
  readonly to: number;
}

/** Now on the clock the profile's timestamps use, in microseconds. */
export function profileClock(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

export interface SelfTime {
  readonly name: string;
  readonly where: string;
  readonly ms: number;
}

/** V8's pseudo-frames: time not in any JavaScript function. */
const NOT_WORK = new Set(['(idle)', '(root)']);

/** Each sample taken inside the window: its node and the milliseconds it stands for. */
function samplesIn(profile: CpuProfile, window?: ProfileWindow): Array<[number, number]> {
  const taken: Array<[number, number]> = [];
  let at = profile.startTime;
  const times = profile.samples.map((_, index) => {
    at += profile.timeDeltas[index] ?? 0;
    return at;
  });
  for (const [index, node] of profile.samples.entries()) {
    const start = times[index] as number;
    // A sample stands for the time until the next one (DevTools' reading too).
    const end = times[index + 1] ?? profile.endTime;
    if (window && (start < window.from || start > window.to)) continue;
    taken.push([node, (end - start) / 1000]);
  }
  return taken;
}

/** Self time by call frame, in milliseconds, of the samples taken inside the window. */
function selfTimes(profile: CpuProfile, window?: ProfileWindow): Map<number, number> {
  const byNode = new Map<number, number>();
  for (const [node, ms] of samplesIn(profile, window)) {
    byNode.set(node, (byNode.get(node) ?? 0) + ms);
  }
  return byNode;
}

const keyOf = (frame: CallFrame) =>
  `${frame.functionName}\t${frame.url}\t${frame.lineNumber}\t${frame.columnNumber}`;

/**
 * Who spent a function's self time: for each sample in it, the nearest caller written
 * in a file of ours or of a package (not Node's own code, not native), by milliseconds.
 * A native function on top (a socket's writev, say) is named by what called it.
 */
function callersOf(profile: CpuProfile, name: string, where: string, window?: ProfileWindow) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parents.set(child, node.id);
  }
  const byCaller = new Map<string, number>();
  for (const [id, ms] of samplesIn(profile, window)) {
    const frame = nodes.get(id)?.callFrame;
    if (!frame || (frame.functionName || '(anonymous)') !== name || whereOf(frame) !== where) {
      continue;
    }
    let caller = parents.get(id);
    while (caller !== undefined && !nodes.get(caller)?.callFrame.url.startsWith('file://')) {
      caller = parents.get(caller);
    }
    const callerFrame = caller === undefined ? undefined : nodes.get(caller)?.callFrame;
    const label = callerFrame
      ? `${callerFrame.functionName || '(anonymous)'} ${whereOf(callerFrame)}`
      : '(none)';
    byCaller.set(label, (byCaller.get(label) ?? 0) + ms);
  }
  return [...byCaller].sort((a, b) => b[1] - a[1]);
}

/** Source maps of the build's files, read once each (`undefined`: the file has none). */
const maps = new Map<string, SourceMap | undefined>();

function sourceMapOf(file: string): SourceMap | undefined {
  if (!maps.has(file)) {
    const mapFile = `${file}.map`;
    maps.set(
      file,
      existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8'))) : undefined,
    );
  }
  return maps.get(file);
}

/** `file:line` of a call frame, relative to the working folder; src/ for the build's code. */
function whereOf(frame: CallFrame): string {
  if (!frame.url) return '';
  if (!frame.url.startsWith('file://')) return `${frame.url}:${frame.lineNumber + 1}`;
  const file = fileURLToPath(frame.url);
  const entry = sourceMapOf(file)?.findEntry(frame.lineNumber, frame.columnNumber);
  if (entry && 'originalSource' in entry) {
    const source = entry.originalSource.startsWith('file://')
      ? fileURLToPath(entry.originalSource)
      : path.resolve(path.dirname(file), entry.originalSource);
    return `${shortPath(source)}:${entry.originalLine + 1}`;
  }
  return `${shortPath(file)}:${frame.lineNumber + 1}`;
}

/** A path from node_modules/ (which may be linked from elsewhere), or from the working folder. */
function shortPath(file: string): string {
  const at = file.lastIndexOf('/node_modules/');
  return at >= 0 ? file.slice(at + 1) : path.relative(process.cwd(), file);
}

/**
 * Where self time went, coarser than functions: a package of node_modules/, a folder of
 * src/, Node's own JavaScript, or V8's native work (no file: garbage collection, native
 * calls such as a socket's writev).
 */
function areaOf(where: string): string {
  if (where === '') return 'native (no file)';
  if (where.startsWith('node:')) return "Node's own JavaScript";
  const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where);
  if (pkg) return pkg[1] as string;
  const folder = /^(src\/[^/:]+)\//.exec(where);
  return folder ? (folder[1] as string) : where.replace(/:\d+$/, '');
}

/** Self time by function (one function may head many call stacks), most first. */
export function topSelfTimes(profile: CpuProfile, window?: ProfileWindow): SelfTime[] {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const byFunction = new Map<string, { frame: CallFrame; ms: number }>();
  for (const [node, ms] of selfTimes(profile, window)) {
    const frame = frames.get(node);
    if (!frame) continue;
    const key = keyOf(frame);
    const entry = byFunction.get(key) ?? { frame, ms: 0 };
    entry.ms += ms;
    byFunction.set(key, entry);
  }
  return [...byFunction.values()]
    .sort((a, b) => b.ms - a.ms)
    .map(({ frame, ms }) => ({
      name: frame.functionName || '(anonymous)',
      where: whereOf(frame),
      ms,
    }));
}

/** Reads and checks a .cpuprofile file. */
export async function readCpuProfile(file: string): Promise<CpuProfile> {
  return cpuProfileShape.parse(JSON.parse(await readFile(file, 'utf8')));
}

/**
 * Prints the top `count` functions by self time in the profile, within the window (the
 * measured run) when given, with each one's share of the busy time; then the same time
 * by area (package, src/ folder), where a culprit spread over many functions shows.
 */
export function printCpuProfileSummary(
  title: string,
  profile: CpuProfile,
  window?: ProfileWindow,
  count = 10,
): void {
  const all = topSelfTimes(profile, window);
  const total = all.reduce((sum, entry) => sum + entry.ms, 0);
  const work = all.filter((entry) => !NOT_WORK.has(entry.name));
  const busy = work.reduce((sum, entry) => sum + entry.ms, 0);
  const gc = all.find((entry) => entry.name === '(garbage collector)')?.ms ?? 0;
  const percent = (ms: number) => Number(((100 * ms) / busy).toFixed(1));
  console.log(
    `\n${title}: top ${count} functions by self time, ${(total / 1000).toFixed(1)} s sampled` +
      `${window ? ' during the measured run' : ''}, of which busy ${(busy / 1000).toFixed(1)} s ` +
      `(${((100 * busy) / total).toFixed(0)}% of one core), garbage collection ${percent(gc)}% of busy\n`,
  );
  console.table(
    work.slice(0, count).map((entry) => ({
      function: entry.name,
      'file:line': entry.where,
      'self ms': Number(entry.ms.toFixed(0)),
      '% of busy': percent(entry.ms),
    })),
  );
  const [top] = work;
  if (top) {
    console.log(`\n${title}: who called the top function, ${top.name}, by its self time\n`);
    console.table(
      callersOf(profile, top.name, top.where, window)
        .slice(0, 5)
        .map(([caller, ms]) => ({
          caller,
          'self ms': Number(ms.toFixed(0)),
          '% of busy': percent(ms),
        })),
    );
  }
  const areas = new Map<string, number>();
  for (const entry of work) {
    const area = areaOf(entry.where);
    areas.set(area, (areas.get(area) ?? 0) + entry.ms);
  }
  console.log(`\n${title}: self time by area, top ${count}\n`);
  console.table(
    [...areas]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([area, ms]) => ({ area, 'self ms': Number(ms.toFixed(0)), '% of busy': percent(ms) })),
  );
}
