import type { Router } from 'express';
import type { ConsoleDeps } from './console-deps.ts';
import { registerOverviewPage } from './pages/overview-page.ts';

/** Every console page, each adding its own routes under `/console`. */
export const CONSOLE_PAGES: readonly ((routes: Router, deps: ConsoleDeps) => void)[] = [
  registerOverviewPage,
];
