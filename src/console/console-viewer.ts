import type { Response } from 'express';
import { type AdminActor, memberActor } from '../admin/admin-actor.ts';
import type { MemberRole } from '../db/tables.ts';
import type { Member } from '../directory/members.ts';

/** The signed-in member a console request acts for. */
export interface ConsoleViewer {
  readonly sessionId: number;
  readonly memberId: number;
  readonly organizationId: number;
  readonly displayName: string;
  readonly roles: readonly MemberRole[];
  /** The member as an admin actor (`via: 'console'`), for services that check and audit. */
  readonly actor: AdminActor;
  /** The token every form posts back as `_csrf`. */
  readonly csrfToken: string;
}

export function viewerOf(res: Response): ConsoleViewer {
  const viewer = res.locals.viewer as ConsoleViewer | undefined;
  if (!viewer) throw new Error('a console page ran without a signed-in viewer');
  return viewer;
}

/** A member acting in the console, as the services check and audit them. */
export function consoleActor(member: Member): AdminActor {
  return memberActor(member, 'console');
}
