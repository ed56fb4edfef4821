/**
 * `npm run bench:give`: the full give path (parse, policy, allowance period, ledger,
 * recognition) from 16 concurrent givers to random recipients on real Postgres, beside
 * the ledger-only kudos workload of bench:ledger, in the same run.
 *
 * Recipients are resolved from memory, as a chat adapter's cache would: the platform
 * look-up is not part of the give path measured here. Like bench:ledger, it measures the
 * steady state: members' accounts exist and their allowance period is open before the
 * clock starts. BENCH_SECONDS (default 20).
 */
import type { Command, MentionResolver } from '../src/core/command.ts';
import { openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { createMember, type Member } from '../src/directory/members.ts';
import { createOrganization } from '../src/directory/organizations.ts';
import { createKudosRouter } from '../src/recognition/kudos-commands.ts';
import { createRecognitionServices } from '../src/recognition/recognition-services.ts';
import { ledgerKudos, measure, type Throughput } from './ledger-workload.ts';
import { freshDatabase, percentile } from './postgres-server.ts';

const CLIENTS = 16;
const MEMBERS = 500;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);

async function gives(): Promise<Throughput> {
  const db = await openDatabase({
    url: await freshDatabase(`${process.env.BENCH_DATABASE_PREFIX ?? 'plaudit_bench'}_give`),
    poolSize: CLIENTS,
  });
  try {
    await migrateToLatest(db);
    const organization = await createOrganization(db, {
      name: 'Bench',
      timezone: 'Europe/Lisbon',
      currency: 'EUR',
    });
    if (!organization.ok) throw new Error(organization.message);
    const organizationId = organization.value.id;
    await db
      .insertInto('recognition_settings')
      .values({
        organization_id: organizationId,
        allowance_amount: 1_000_000,
        min_reason_length: 5,
      })
      .execute();
    await db
      .insertInto('company_values')
      .values({ organization_id: organizationId, name: 'teamwork', description: null })
      .execute();
    const members: Member[] = [];
    const byHandle = new Map<string, Member>();
    for (let index = 0; index < MEMBERS; index++) {
      const member = await createMember(db, organizationId, { displayName: `Member ${index}` });
      if (!member.ok) throw new Error(member.message);
      members.push(member.value);
      byHandle.set(`m${index}`, member.value);
    }
    const resolver: MentionResolver = {
      async resolve(_organizationId, refs) {
        const found = refs.flatMap((ref) => (ref.kind === 'name' ? [byHandle.get(ref.name)] : []));
        return {
          members: found.filter((member): member is Member => member !== undefined),
          unknown: found.some((member) => !member) ? ['someone'] : [],
        };
      },
    };
    const router = createKudosRouter(createRecognitionServices(db));
    let sequence = 0;
    const command = (actor: Member, text: string): Command => ({
      actor,
      text,
      mentions: [],
      idempotencyKey: `bench-${++sequence}`,
      platform: 'local',
      tenantId: 'local',
      channel: 'bench',
      commandName: '/kudos',
      mentionResolver: resolver,
      clock: { now: () => new Date() },
    });
    // Steady state, as bench:ledger measures it: every member's accounts exist and their
    // allowance period is open before the clock starts (a member's first command does both).
    for (const member of members) await router.route(command(member, 'balance'));
    return await measure(CLIENTS, SECONDS, async () => {
      const giver = Math.floor(Math.random() * MEMBERS);
      let recipient = giver;
      while (recipient === giver) recipient = Math.floor(Math.random() * MEMBERS);
      const amount = 1 + Math.floor(Math.random() * 10);
      const give = command(
        members[giver] as Member,
        `@m${recipient} ${amount} for the benchmark #teamwork`,
      );
      const reply = await router.route(give);
      if (reply.outcome !== 'ok') console.error(reply.text);
      return reply.outcome === 'ok';
    });
  } finally {
    await db.destroy();
  }
}

const give = await gives();
const ledger = await ledgerKudos(CLIENTS, SECONDS);
const ms = (value: number) => Number(value.toFixed(2));

console.log(`\ngive benchmark: ${CLIENTS} givers, ${SECONDS} s each phase, ${MEMBERS} members\n`);
console.table([
  { measure: 'gives/s (parse, policy, ledger, recognition)', value: Math.round(give.perSecond) },
  { measure: 'bench:ledger kudos/s (baseline)', value: Math.round(ledger.perSecond) },
  {
    measure: 'ratio gives/s ÷ kudos/s (target ≥ 0.7)',
    value: Number((give.perSecond / ledger.perSecond).toFixed(2)),
  },
  { measure: 'give p50 latency, ms', value: ms(percentile(give.latencies, 0.5)) },
  { measure: 'give p99 latency, ms', value: ms(percentile(give.latencies, 0.99)) },
  { measure: 'ledger kudos p50 latency, ms', value: ms(percentile(ledger.latencies, 0.5)) },
  { measure: 'ledger kudos p99 latency, ms', value: ms(percentile(ledger.latencies, 0.99)) },
]);
