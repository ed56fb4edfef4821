import { defineConfig } from 'vitest/config';
import SlowFirstSequencer from './test/support/slow-first-sequencer.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Fails a file that leaves a BullMQ worker running into the next file (see there).
    setupFiles: ['test/support/open-workers.ts'],
    // Limits for a hang, not for speed: on a busy machine (load 20 on these two cores) a
    // test that spawns Plaudit or opens PGlite took 30-35 s where it takes 3 s quiet, and
    // failed at the old 30 s. Speed is watched by the reporter's timings, not by these.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Three on two cores: files wait on Postgres, Redis and the processes they start as
    // much as they compute (two never kept the CPU full). Quiet fresh-clone runs took 386,
    // 405 and 429 s with three and 425 s with two: within their spread, not yet a clear gain.
    maxWorkers: 3,
    // Files share their worker's modules instead of importing them afresh each: importing
    // Bolt, botbuilder and teams-ai per file took 222 s of a quiet run's 587 s (438 s
    // shared). Every file keeps to its own organizations, queue prefixes and servers, and
    // src/'s module-level caches hold only pure results (date formats, period bounds).
    // A test's chat commands are never shed for waiting (test/support/chat-test-settings.ts):
    // sharing a process with earlier files' leftovers made a first command late once.
    isolate: false,
    sequence: { sequencer: SlowFirstSequencer },
  },
});
