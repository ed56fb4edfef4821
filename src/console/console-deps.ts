import type { Logger } from 'pino';
import type { AdminServices } from '../admin/admin-services.ts';
import type { ConsoleChat } from './chat-commands.ts';
import type { Signer } from './console-signer.ts';

export interface ConsoleDeps {
  readonly services: AdminServices;
  /** Local mode: no chat platform; the demo admin is signed in without a link. */
  readonly local: boolean;
  readonly logger: Logger;
  /** Signs session cookies and CSRF tokens. */
  readonly signer: Signer;
  /** Cookies are `Secure` when the console is served over https. */
  readonly secureCookies: boolean;
  /**
   * The origin people open the console at (PUBLIC_URL's), which forms must come from;
   * unset: the request's own host.
   */
  readonly origin?: string;
  /** The chat platforms served, for pages that tell people which command to send. */
  readonly chat?: ConsoleChat;
  /** The organization local mode signs into (the demo organization). */
  readonly localOrganizationId?: number;
}
