import type { Request, Response } from 'express';
import { clearCookie, cookieOf, setCookie } from './console-cookies.ts';
import type { Signer } from './console-signer.ts';

export interface Notice {
  readonly kind: 'done' | 'refused';
  readonly text: string;
}

const COOKIE = 'plaudit_notice';

/**
 * What the last form did, shown once on the page it redirects to (Post/Redirect/Get).
 * Kept in a short-lived signed cookie, so a reload does not show it again.
 */
export function setNotice(res: Response, kind: Notice['kind'], text: string): void {
  const { signer, secure } = res.locals.noticeCookie as { signer: Signer; secure: boolean };
  const value = Buffer.from(JSON.stringify({ kind, text })).toString('base64url');
  setCookie(res, COOKIE, signer.sign('notice', value), { maxAgeSeconds: 60, secure });
}

/** Reads the notice a redirect left, and clears it. */
export function takeNotice(req: Request, res: Response): Notice | undefined {
  const { signer, secure } = res.locals.noticeCookie as { signer: Signer; secure: boolean };
  const cookie = cookieOf(req, COOKIE);
  if (!cookie) return undefined;
  clearCookie(res, COOKIE, secure);
  const value = signer.unsign('notice', cookie);
  if (!value) return undefined;
  try {
    const notice = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Notice;
    return (notice.kind === 'done' || notice.kind === 'refused') && typeof notice.text === 'string'
      ? notice
      : undefined;
  } catch {
    return undefined;
  }
}

/** Redirects after a form with a notice: `303 See Other`, so a reload does not post again. */
export function redirectWithNotice(
  res: Response,
  to: string,
  kind: Notice['kind'],
  text: string,
): void {
  setNotice(res, kind, text);
  res.redirect(303, to);
}
