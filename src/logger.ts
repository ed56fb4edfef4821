import { type DestinationStream, type Level, type Logger, pino } from 'pino';

/** Headers that carry secrets: credentials, and the web console's session cookie. */
const SECRET_HEADERS = [
  'authorization',
  'Authorization',
  'cookie',
  'Cookie',
  '["set-cookie"]',
  '["Set-Cookie"]',
];

/**
 * What pino replaces with `[Redacted]` in every line: fields named like secrets (at the
 * top or one level down), and the secret headers of a request, response or HTTP client
 * error logged up to three levels deep (`err.config.headers.Authorization`).
 */
export const REDACTED_PATHS: readonly string[] = [
  ...['password', 'token', 'secret'].flatMap((field) => [field, `*.${field}`]),
  ...['', '*.', '*.*.', '*.*.*.'].flatMap((depth) =>
    SECRET_HEADERS.map((header) =>
      header.startsWith('[') ? `${depth}headers${header}` : `${depth}headers.${header}`,
    ),
  ),
];

/** The JSON logger of a Plaudit process (web or worker): standard output unless given. */
export function createLogger(level: Level | 'silent', destination?: DestinationStream): Logger {
  return pino({ level, redact: [...REDACTED_PATHS] }, destination);
}
