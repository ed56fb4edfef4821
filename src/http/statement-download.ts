import express, { type Router } from 'express';
import type { Database } from '../db/database.ts';
import { findOrganization } from '../directory/organizations.ts';
import { monthlyStatement, parseMonth } from '../rewards/billing.ts';
import { statementCsv } from '../rewards/statement-csv.ts';
import { requireAdminToken } from './admin-token.ts';
import type { FailedAuthentications } from './failed-authentications.ts';

export const STATEMENTS_PATH = '/admin/statements';

/** The address of an organization's statement of a month. */
export const statementPath = (organizationId: number | string, month: string) =>
  `${STATEMENTS_PATH}/${organizationId}/${month}.csv`;

/**
 * The operators' billing statements, behind the admin token: one deployment serves many
 * organizations, and each statement is one organization's.
 * - `GET /admin/statements`: the organizations, each with its id and name (JSON);
 * - `GET /admin/statements/<organization id>/2026-11.csv`: that organization's month.
 *
 * The address of before, without an organization (`/admin/statements/2026-11.csv`),
 * answers 400 naming the new one, whatever the number of organizations: an address whose
 * meaning changed when a second workspace was installed would hand a script another
 * organization's money, or fail on a day nobody chose. Without a token configured, the
 * addresses say why they are off. An organization's own HR reads its statements in the
 * console and the API, with their own sign-in or token.
 */
export function statementDownload(
  db: Database,
  adminToken: string | undefined,
  failures: FailedAuthentications,
): Router {
  const router = express.Router();
  if (!adminToken) {
    router.use(STATEMENTS_PATH, (_req, res) => {
      res.status(404).json({
        error: 'not_found',
        message: 'Statements are off: set PLAUDIT_ADMIN_TOKEN to download them.',
      });
    });
    return router;
  }
  const guard = requireAdminToken(adminToken, 'Statements need the admin token.', failures);
  router.get(STATEMENTS_PATH, guard, async (_req, res, next) => {
    try {
      const organizations = await db
        .selectFrom('organizations')
        .select(['id', 'name'])
        .orderBy('id')
        .execute();
      res.status(200).json({
        organizations: organizations.map(({ id, name }) => ({
          id,
          name,
          statements: statementPath(id, 'YYYY-MM'),
        })),
      });
    } catch (error) {
      next(error);
    }
  });
  router.get(`${STATEMENTS_PATH}/:file`, guard, (_req, res) => {
    res.status(400).json({
      error: 'organization_required',
      message: `Statements are per organization: ask ${statementPath('<organization id>', 'YYYY-MM')}, like ${statementPath(7, '2026-11')}; ${STATEMENTS_PATH} lists the organizations.`,
    });
  });
  router.get(`${STATEMENTS_PATH}/:organization/:file`, guard, async (req, res, next) => {
    try {
      const asked = String(req.params.organization);
      const organization = /^[1-9]\d{0,9}$/.test(asked)
        ? await findOrganization(db, Number(asked))
        : undefined;
      if (!organization) {
        res.status(404).json({
          error: 'unknown_organization',
          message: `There is no organization with that id; ${STATEMENTS_PATH} lists them.`,
        });
        return;
      }
      const file = String(req.params.file);
      const month = file.endsWith('.csv') ? parseMonth(file.slice(0, -4)) : undefined;
      if (!month) {
        res.status(400).json({
          error: 'bad_month',
          message: `Ask for a month as YYYY-MM.csv, like ${statementPath(organization.id, '2026-11')}.`,
        });
        return;
      }
      const statement = await monthlyStatement(db, organization.id, month);
      res
        .status(200)
        .type('text/csv; charset=utf-8')
        .set(
          'content-disposition',
          `attachment; filename="plaudit-statement-${organization.id}-${month}.csv"`,
        )
        .send(statementCsv(statement));
    } catch (error) {
      next(error);
    }
  });
  return router;
}
