import express, { type Router } from 'express';
import type { Database } from '../db/database.ts';
import { monthlyStatement, parseMonth } from '../rewards/billing.ts';
import { statementCsv } from '../rewards/statement-csv.ts';
import { requireAdminToken } from './admin-token.ts';
import type { FailedAuthentications } from './failed-authentications.ts';

export const STATEMENTS_PATH = '/admin/statements';

/**
 * The monthly billing statement as CSV, `GET /admin/statements/2026-11.csv`, for the
 * organization this deployment serves, with the admin token (the admin API will serve it
 * with per-organization tokens). Without a token configured, the address says why it is off.
 */
export function statementDownload(
  db: Database,
  organizationId: number | undefined,
  adminToken: string | undefined,
  failures: FailedAuthentications,
): Router {
  const router = express.Router();
  if (!adminToken || organizationId === undefined) {
    router.use(STATEMENTS_PATH, (_req, res) => {
      res.status(404).json({
        error: 'not_found',
        message: 'Statements are off: set PLAUDIT_ADMIN_TOKEN to download them.',
      });
    });
    return router;
  }
  router.get(
    `${STATEMENTS_PATH}/:file`,
    requireAdminToken(adminToken, 'Statements need the admin token.', failures),
    async (req, res, next) => {
      try {
        const file = String(req.params.file);
        const month = file.endsWith('.csv') ? parseMonth(file.slice(0, -4)) : undefined;
        if (!month) {
          res.status(400).json({
            error: 'bad_month',
            message: 'Ask for a month as YYYY-MM.csv, like /admin/statements/2026-11.csv.',
          });
          return;
        }
        const statement = await monthlyStatement(db, organizationId, month);
        res
          .status(200)
          .type('text/csv; charset=utf-8')
          .set('content-disposition', `attachment; filename="plaudit-statement-${month}.csv"`)
          .send(statementCsv(statement));
      } catch (error) {
        next(error);
      }
    },
  );
  return router;
}
