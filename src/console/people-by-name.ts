import type { Database } from '../db/database.ts';

/**
 * People typed by email or name (one per line or comma), as member ids of the
 * organization: for forms where a list of everyone would be too long to pick from.
 * Each entry must name exactly one active person who is not a bot: an email matches its
 * member, a name matches whoever is called exactly that (case aside). Resolves with the
 * ids in the order typed, or with one sentence per entry that names nobody or several.
 */
export async function peopleByName(
  db: Database,
  organizationId: number,
  typed: string,
): Promise<{ ok: true; ids: number[] } | { ok: false; problems: string[] }> {
  const entries = [
    ...new Set(
      typed
        .split(/[,\n]/)
        .map((entry) => entry.trim())
        .filter((entry) => entry.length > 0),
    ),
  ];
  if (entries.length === 0) return { ok: true, ids: [] };
  const wanted = entries.map((entry) => entry.toLowerCase());
  const rows = await db
    .selectFrom('members')
    .select(['id', 'email', 'display_name'])
    .where('organization_id', '=', organizationId)
    .where('status', '=', 'active')
    .where('is_bot', '=', false)
    .where((eb) =>
      eb.or([eb('email', 'in', wanted), eb(eb.fn('lower', ['display_name']), 'in', wanted)]),
    )
    .execute();
  const ids: number[] = [];
  const problems: string[] = [];
  for (const entry of entries) {
    const key = entry.toLowerCase();
    const byEmail = key.includes('@');
    const matches = rows.filter((row) =>
      byEmail ? row.email === key : row.display_name.toLowerCase() === key,
    );
    if (matches.length === 1) ids.push((matches[0] as { id: number }).id);
    else if (matches.length === 0) {
      problems.push(
        byEmail
          ? `Nobody active here has the email “${entry}”.`
          : `Nobody active here is called “${entry}”; try their email.`,
      );
    } else {
      problems.push(`${matches.length} people are called “${entry}”; name them by email.`);
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, ids };
}
