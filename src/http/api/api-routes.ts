import type { ApiRoute } from './api-route.ts';
import { ADJUSTMENT_ROUTES } from './routes/adjustments.ts';
import { AUDIT_ROUTES } from './routes/audit.ts';
import { BILLING_ROUTES } from './routes/billing.ts';
import { GROUP_ROUTES } from './routes/groups.ts';
import { MEMBER_ROUTES } from './routes/members.ts';
import { RECOGNITION_ROUTES } from './routes/recognitions.ts';
import { REDEMPTION_ROUTES } from './routes/redemptions.ts';
import { REWARD_ROUTES } from './routes/rewards.ts';
import { SETTINGS_ROUTES } from './routes/settings.ts';
import { TOKEN_ROUTES } from './routes/tokens.ts';

/** Every route of /api/v1, in the order the OpenAPI document lists them. */
export const API_ROUTES: readonly ApiRoute[] = [
  ...MEMBER_ROUTES,
  ...GROUP_ROUTES,
  ...RECOGNITION_ROUTES,
  ...SETTINGS_ROUTES,
  ...ADJUSTMENT_ROUTES,
  ...REWARD_ROUTES,
  ...REDEMPTION_ROUTES,
  ...BILLING_ROUTES,
  ...AUDIT_ROUTES,
  ...TOKEN_ROUTES,
];
