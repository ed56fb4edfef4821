import type { Request, Response } from 'express';

/** The value of one cookie of a request (no cookie-parser: one header, split). */
export function cookieOf(req: Request, name: string): string | undefined {
  const header = req.get('cookie');
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export interface CookieOptions {
  readonly maxAgeSeconds: number;
  readonly secure: boolean;
  /** @defaultValue /console */
  readonly path?: string;
}

/** Sets an HttpOnly, SameSite=Lax cookie, scoped to the console unless another path is given. */
export function setCookie(res: Response, name: string, value: string, options: CookieOptions) {
  res.append(
    'Set-Cookie',
    [
      `${name}=${encodeURIComponent(value)}`,
      `Path=${options.path ?? '/console'}`,
      `Max-Age=${options.maxAgeSeconds}`,
      'HttpOnly',
      'SameSite=Lax',
      ...(options.secure ? ['Secure'] : []),
    ].join('; '),
  );
}

export function clearCookie(res: Response, name: string, secure: boolean, path?: string) {
  setCookie(res, name, '', { maxAgeSeconds: 0, secure, path });
}
