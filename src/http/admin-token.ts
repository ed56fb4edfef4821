import type { RequestHandler } from 'express';
import { sameSecret } from '../core/secrets.ts';

/**
 * Lets a request through with the operators' admin token (or any of several tokens, such
 * as the metrics' scrape token beside it), as an HTTP Basic password (any user name, for
 * browsers) or a bearer token; anything else gets 401 and `refusal`.
 */
export function requireAdminToken(
  token: string | readonly string[],
  refusal: string,
): RequestHandler {
  const tokens = typeof token === 'string' ? [token] : token;
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const [scheme = '', value = ''] = header.split(' ', 2);
    let given = '';
    if (scheme.toLowerCase() === 'bearer') given = value;
    if (scheme.toLowerCase() === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      given = decoded.slice(decoded.indexOf(':') + 1);
    }
    // Every token is compared, so the time taken does not tell which one matched.
    const matches = tokens.map((expected) => sameSecret(given, expected));
    if (given !== '' && matches.includes(true)) return next();
    res
      .status(401)
      .set('WWW-Authenticate', 'Basic realm="Plaudit admin", charset="UTF-8"')
      .json({ error: 'unauthorized', message: refusal });
  };
}
