/**
 * Docker Compose's variable interpolation (the Compose Specification's "Interpolation"),
 * so a test can resolve docker-compose.yml against an environment as `docker compose
 * config` would, without a Docker engine:
 * - `$VAR` and `${VAR}`: the value, empty when unset;
 * - `${VAR:-default}`: default when unset or empty; `${VAR-default}`: when unset;
 * - `${VAR:?error}`: refused with error when unset or empty; `${VAR?error}`: when unset;
 * - `${VAR:+replacement}`: replacement when set and not empty; `${VAR+replacement}`: when set;
 * - `$$`: a literal `$`.
 * A default, an error or a replacement may itself hold variables (`${A:-${B}}`).
 */

/** A required variable that is missing, with the explanation the file gives. */
export class ComposeInterpolationError extends Error {
  constructor(
    readonly variable: string,
    explanation: string,
  ) {
    super(`required variable ${variable} is missing a value: ${explanation}`);
    this.name = 'ComposeInterpolationError';
  }
}

export type ComposeEnvironment = Record<string, string | undefined>;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** One string of the file with its variables resolved. */
export function interpolateString(text: string, env: ComposeEnvironment): string {
  let result = '';
  let index = 0;
  while (index < text.length) {
    const dollar = text.indexOf('$', index);
    if (dollar === -1) return result + text.slice(index);
    result += text.slice(index, dollar);
    const next = text[dollar + 1];
    if (next === '$') {
      result += '$';
      index = dollar + 2;
    } else if (next === '{') {
      const close = matchingBrace(text, dollar + 2);
      result += braced(text.slice(dollar + 2, close), env);
      index = close + 1;
    } else {
      const name = NAME.exec(text.slice(dollar + 1))?.[0];
      if (name === undefined) throw new Error(`invalid interpolation format in "${text}"`);
      result += env[name] ?? '';
      index = dollar + 1 + name.length;
    }
  }
  return result;
}

/** Every string in a parsed compose file resolved (keys are left as they are, as Compose does). */
export function interpolateCompose<T>(value: T, env: ComposeEnvironment): T {
  if (typeof value === 'string') return interpolateString(value, env) as T;
  if (Array.isArray(value)) return value.map((item) => interpolateCompose(item, env)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolateCompose(item, env)]),
    ) as T;
  }
  return value;
}

/** The index of the `}` that closes the `${` whose body starts at `start`. */
function matchingBrace(text: string, start: number): number {
  let depth = 1;
  for (let index = start; index < text.length; index++) {
    if (text[index] === '$' && text[index + 1] === '$') index++;
    else if (text[index] === '$' && text[index + 1] === '{') {
      depth++;
      index++;
    } else if (text[index] === '}' && --depth === 0) return index;
  }
  throw new Error(`unclosed \${ in "${text}"`);
}

/** The body of `${…}`: a name, then optionally an operator and its word. */
function braced(body: string, env: ComposeEnvironment): string {
  const name = NAME.exec(body)?.[0];
  if (name === undefined) throw new Error(`invalid interpolation format: \${${body}}`);
  const rest = body.slice(name.length);
  const value = env[name];
  if (rest === '') return value ?? '';
  const colon = rest.startsWith(':');
  const operator = rest[colon ? 1 : 0];
  const word = rest.slice(colon ? 2 : 1);
  // With a colon, an empty value counts as unset.
  const set = value !== undefined && (!colon || value !== '');
  switch (operator) {
    case '-':
      return set ? (value as string) : interpolateString(word, env);
    case '?':
      if (!set) throw new ComposeInterpolationError(name, interpolateString(word, env));
      return value as string;
    case '+':
      return set ? interpolateString(word, env) : '';
    default:
      throw new Error(`invalid interpolation format: \${${body}}`);
  }
}

/** An .env file's `NAME=value` lines (comments and blank lines skipped, quotes removed). */
export function parseDotEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match || line.trimStart().startsWith('#')) continue;
    const [, name = '', raw = ''] = match;
    const quoted = /^(['"])(.*)\1$/.exec(raw);
    env[name] = quoted ? (quoted[2] ?? '') : raw.replace(/\s+#.*$/, '');
  }
  return env;
}
