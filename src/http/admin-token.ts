import type { RequestHandler } from 'express';
import { sameSecret } from '../core/secrets.ts';
import type { FailedAuthentications } from './failed-authentications.ts';

/**
 * Lets a request through with the operators' admin token (or any of several tokens, such
 * as the metrics' scrape token beside it), as an HTTP Basic password (any user name, for
 * browsers) or a bearer token; anything else gets 401 and `refusal`. A wrong one counts
 * against the client address's failed guesses, and past their limit nothing is compared.
 */
export function requireAdminToken(
  token: string | readonly string[],
  refusal: string,
  failures: FailedAuthentications,
): RequestHandler {
  const tokens = typeof token === 'string' ? [token] : token;
  return async (req, res, next) => {
    if (await failures.refuseLockedOut(req, res)) return;
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
    await failures.failed(req);
    res
      .status(401)
      .set('WWW-Authenticate', 'Basic realm="Plaudit admin", charset="UTF-8"')
      .json({ error: 'unauthorized', message: refusal });
  };
}
