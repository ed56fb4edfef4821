import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { boltLogger } from '../../src/slack/slack-clients.ts';

/** A process log at `level` and the messages it wrote. */
function logAt(level: 'info' | 'debug') {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)).msg);
      done();
    },
  });
  return { logger: boltLogger(createLogger(level, destination)), lines };
}

describe("the Slack clients' log", () => {
  it('does not turn debug lines into text when debug is not kept', () => {
    const { logger, lines } = logAt('info');
    let made = 0;
    const message = {
      toString() {
        made++;
        return 'http request result: {}';
      },
    };
    logger.debug(message);
    logger.info('apiCall done');
    expect(made).toBe(0);
    expect(lines).toEqual(['apiCall done']);
  });

  it('keeps debug lines at debug, but never a request body', () => {
    const { logger, lines } = logAt('debug');
    logger.debug('http request url: https://slack.com/api/chat.postMessage');
    logger.debug('http request body: {"text":"your sign-in link"}');
    expect(lines).toEqual(['http request url: https://slack.com/api/chat.postMessage']);
  });
});
