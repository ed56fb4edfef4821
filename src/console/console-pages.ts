import type { Router } from 'express';
import type { ConsoleDeps } from './console-deps.ts';
import { registerAuditPage } from './pages/audit-page.ts';
import { registerBillingPage } from './pages/billing-page.ts';
import { registerCatalogPage } from './pages/catalog-page.ts';
import { registerInsightsPage } from './pages/insights-page.ts';
import { registerOverviewPage } from './pages/overview-page.ts';
import { registerPeoplePage } from './pages/people-page.ts';
import { PERMISSION_LISTS, registerPermissionsPage } from './pages/permissions-page.ts';
import { registerRedemptionsPage } from './pages/redemptions-page.ts';
import { registerSettingsPage, SETTING_SWITCHES } from './pages/settings-page.ts';

/** Every console page, each adding its own routes under `/console`. */
export const CONSOLE_PAGES: readonly ((routes: Router, deps: ConsoleDeps) => void)[] = [
  registerOverviewPage,
  registerPeoplePage,
  registerPermissionsPage,
  registerSettingsPage,
  registerCatalogPage,
  registerRedemptionsPage,
  registerBillingPage,
  registerInsightsPage,
  registerAuditPage,
];

/**
 * The form fields a page takes several values of (its ticked boxes, a switch's "no" and
 * "yes"); any other field sent more than once is refused before a page reads it.
 */
export const CONSOLE_LIST_FIELDS: ReadonlySet<string> = new Set([
  ...PERMISSION_LISTS,
  ...SETTING_SWITCHES,
]);
