import type { ColumnType, Generated } from 'kysely';

/** Table types of the Plaudit schema, kept in step with `migrations/`. */
export interface Tables {
  organizations: OrganizationTable;
  members: MemberTable;
  platform_identities: PlatformIdentityTable;
  groups: GroupTable;
  group_members: GroupMemberTable;
  ledger_accounts: LedgerAccountTable;
  ledger_balances: LedgerBalanceTable;
  ledger_requests: LedgerRequestTable;
  ledger_transfers: LedgerTransferTable;
  recognition_settings: RecognitionSettingsTable;
  company_values: CompanyValueTable;
  allowance_overrides: AllowanceOverrideTable;
  recognitions: RecognitionTable;
  recognition_recipients: RecognitionRecipientTable;
  slack_workspaces: SlackWorkspaceTable;
  slack_installations: SlackInstallationTable;
  teams_tenants: TeamsTenantTable;
  teams_users: TeamsUserTable;
  teams_conversations: TeamsConversationTable;
  teams_announcement_channels: TeamsAnnouncementChannelTable;
  teams_celebration_posts: TeamsCelebrationPostTable;
  notification_outbox: NotificationOutboxTable;
  reward_settings: RewardSettingsTable;
  reward_items: RewardItemTable;
  redemptions: RedemptionTable;
  billing_charges: BillingChargeTable;
  api_tokens: ApiTokenTable;
  audit_log: AuditLogTable;
  recognition_reversals: RecognitionReversalTable;
  console_sign_in_links: ConsoleSignInLinkTable;
  console_sessions: ConsoleSessionTable;
  console_signing_key: ConsoleSigningKeyTable;
  ledger_verifications: LedgerVerificationTable;
  organization_link_codes: OrganizationLinkCodeTable;
}

type CreatedAt = ColumnType<Date, never, never>;

export interface OrganizationTable {
  id: Generated<number>;
  name: string;
  timezone: string;
  currency: string;
  created_at: CreatedAt;
}

export type MemberRole = 'member' | 'admin' | 'hr';
export type MemberStatus = 'active' | 'deactivated';

export interface MemberTable {
  id: Generated<number>;
  organization_id: number;
  display_name: string;
  email: string | null;
  roles: ColumnType<MemberRole[], MemberRole[] | undefined, MemberRole[]>;
  status: ColumnType<MemberStatus, MemberStatus | undefined, MemberStatus>;
  is_guest: ColumnType<boolean, boolean | undefined, boolean>;
  is_bot: ColumnType<boolean, boolean | undefined, boolean>;
  /** IANA zone from the member's chat platform, when it says. */
  timezone: ColumnType<string | null, string | null | undefined, string | null>;
  /** When the member was deactivated; null while active. */
  deactivated_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  created_at: CreatedAt;
}

export type Platform = 'slack' | 'teams' | 'local';

export interface PlatformIdentityTable {
  platform: Platform;
  tenant_id: string;
  user_id: string;
  organization_id: number;
  member_id: number;
  created_at: CreatedAt;
}

export type GroupSource = 'manual' | 'slack' | 'teams';

export interface GroupTable {
  id: Generated<number>;
  organization_id: number;
  name: string;
  /** `manual`: an admin made it; otherwise mirrored from a Slack user group or a Teams team. */
  source: ColumnType<GroupSource, GroupSource | undefined, GroupSource>;
  /** The Slack user group id or Teams team id a mirrored group follows. */
  external_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
}

export interface GroupMemberTable {
  organization_id: number;
  group_id: number;
  member_id: number;
}

export type Asset = 'allowance' | 'points';

export type AccountCode =
  | 'allowance_pool'
  | 'allowance'
  | 'allowance_spent'
  | 'allowance_expired'
  | 'issuance'
  | 'earned'
  | 'redemption_hold'
  | 'redeemed';

export interface LedgerAccountTable {
  id: Generated<number>;
  organization_id: number;
  asset: Asset;
  code: AccountCode;
  member_id: number | null;
  debits_must_not_exceed_credits: boolean;
  created_at: CreatedAt;
}

export interface LedgerBalanceTable {
  account_id: number;
  debits_must_not_exceed_credits: boolean;
  debits_posted: ColumnType<number, number | undefined, number>;
  credits_posted: ColumnType<number, number | undefined, number>;
  debits_pending: ColumnType<number, number | undefined, number>;
  credits_pending: ColumnType<number, number | undefined, number>;
}

export type LedgerOperation = 'transfer' | 'post' | 'void' | 'reverse';

export interface LedgerRequestTable {
  id: Generated<number>;
  organization_id: number;
  idempotency_key: string;
  request_hash: string;
  operation: LedgerOperation;
  transfer_id: number | null;
  created_at: CreatedAt;
}

export type TransferKind =
  | 'allowance_grant'
  | 'allowance_expire'
  | 'kudos'
  | 'redemption'
  | 'adjustment'
  | 'reversal';

export type TransferStatus = 'posted' | 'pending' | 'posted_from_pending' | 'voided';

export interface LedgerTransferTable {
  id: Generated<number>;
  organization_id: number;
  request_id: number;
  asset: Asset;
  debit_account_id: number;
  credit_account_id: number;
  amount: number;
  kind: TransferKind;
  status: TransferStatus;
  reverses_transfer_id: number | null;
  memo: string | null;
  created_at: CreatedAt;
  resolved_at: ColumnType<Date | null, never, Date | null>;
}

export type CadenceColumn = 'weekly' | 'monthly' | 'quarterly';

/** `{kind: 'everyone'}`, or `only` / `everyone_except` over members, groups and roles. */
export interface PermissionRuleJson {
  kind: 'everyone' | 'only' | 'everyone_except';
  members?: number[];
  groups?: number[];
  roles?: MemberRole[];
}

type Defaulted<T> = ColumnType<T, T | undefined, T>;

export interface RecognitionSettingsTable {
  organization_id: number;
  allowance_cadence: Defaulted<CadenceColumn>;
  allowance_amount: Defaulted<number>;
  rollover_cap: Defaulted<number>;
  default_amount: Defaulted<number>;
  min_amount: Defaulted<number>;
  max_amount: Defaulted<number>;
  max_recipients: Defaulted<number>;
  value_required: Defaulted<boolean>;
  min_reason_length: Defaulted<number>;
  /** The longest reason a kudos may give, in characters. */
  max_reason_length: Defaulted<number>;
  daily_pair_cap: Defaulted<number | null>;
  guests_may_participate: Defaulted<boolean>;
  who_may_give: ColumnType<PermissionRuleJson, string | undefined, string>;
  who_may_receive: ColumnType<PermissionRuleJson, string | undefined, string>;
  prorate_new_members: ColumnType<boolean, boolean | undefined, boolean>;
  /** Days after deactivation a leaver may still redeem their points; 0: not at all. */
  leaver_redeem_days: Defaulted<number>;
  /** Where every kudos is also announced; null: only where it was given. */
  announcement_channel: Defaulted<string | null>;
  /** Reaction emoji (short name, no colons) and the points each gives; `{}`: reactions give nothing. */
  reaction_points: ColumnType<Record<string, number>, string | undefined, string>;
  /** Minutes after a reaction during which removing it takes its points back. */
  reaction_grace_minutes: Defaulted<number>;
  /** Whether colleagues may boost a kudos (add points of their own to it). */
  boosts_allowed: Defaulted<boolean>;
  /** When the allowance cadence last changed (kept by a trigger); null: never. */
  cadence_changed_at: ColumnType<Date | null, never, never>;
}

export interface CompanyValueTable {
  organization_id: number;
  name: string;
  description: string | null;
}

export interface AllowanceOverrideTable {
  organization_id: number;
  role: MemberRole | null;
  member_id: number | null;
  amount: number;
}

export interface RecognitionTable {
  id: Generated<number>;
  organization_id: number;
  giver_id: number;
  ledger_request_id: number;
  amount_each: number;
  message: string;
  company_values: ColumnType<string[], string[] | undefined, string[]>;
  platform: Platform;
  channel: string | null;
  created_at: CreatedAt;
  /** The recognition this one boosts (a colleague's points added to it); null: a kudos of its own. */
  boost_of: ColumnType<number | null, number | null | undefined, never>;
}

export interface RecognitionRecipientTable {
  recognition_id: number;
  organization_id: number;
  giver_id: number;
  recipient_id: number;
  amount: number;
  created_at: Date;
}

export interface SlackWorkspaceTable {
  team_id: string;
  enterprise_id: string | null;
  organization_id: number;
  bot_user_id: string;
  created_at: CreatedAt;
}

/** A Slack OAuth install (migration 0018): a workspace's, or an Enterprise Grid's org-wide one. */
export interface SlackInstallationTable {
  id: Generated<number>;
  is_enterprise_install: boolean;
  team_id: string | null;
  team_name: string | null;
  enterprise_id: string | null;
  enterprise_name: string | null;
  enterprise_url: string | null;
  /** An org-wide install's organization; a workspace install's is in `slack_workspaces`. */
  organization_id: number | null;
  app_id: string | null;
  bot_id: string | null;
  bot_user_id: string | null;
  bot_scopes: ColumnType<string[], string[] | undefined, string[]>;
  bot_token_expires_at: number | null;
  installer_user_id: string;
  user_scopes: string[] | null;
  user_token_expires_at: number | null;
  token_type: string | null;
  auth_version: ColumnType<string, string | undefined, string>;
  key_id: string | null;
  sealed_tokens: Buffer | null;
  disabled_at: Date | null;
  installed_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface TeamsTenantTable {
  tenant_id: string;
  organization_id: number;
  created_at: CreatedAt;
}

/** A Teams user id (`29:…`, what mentions and `from.id` carry) and the Azure AD user behind it. */
export interface TeamsUserTable {
  tenant_id: string;
  user_id: string;
  aad_object_id: string;
}

export type TeamsConversationKind = 'personal' | 'groupChat' | 'channel';

export interface TeamsConversationTable {
  organization_id: number;
  tenant_id: string;
  conversation_id: string;
  kind: TeamsConversationKind;
  /** The member a personal chat is with; null for group chats and channels. */
  member_id: number | null;
  /** A Bot Framework conversation reference, enough to message the conversation later. */
  reference: ColumnType<Record<string, unknown>, string, string>;
  updated_at: ColumnType<Date, never, Date | undefined>;
}

/** The Teams channel where an organization's Teams kudos are celebrated (one at most). */
export interface TeamsAnnouncementChannelTable {
  organization_id: number;
  tenant_id: string;
  /** The channel's (or group chat's) conversation id, without a thread's `;messageid=`. */
  conversation_id: string;
  /** The team the channel is in, so the bot leaving the team stops the posts. */
  team_id: string | null;
  /** Where and as whom to post: a Bot Framework conversation reference. */
  reference: ColumnType<Record<string, unknown>, string, string>;
  /** The admin who chose it, told if the bot can no longer post there. */
  chosen_by_member_id: number;
  chosen_at: CreatedAt;
}

/** A celebration the bot posted in Teams, by the id the Bot Connector gave the message. */
export interface TeamsCelebrationPostTable {
  organization_id: number;
  /** Without a thread's `;messageid=`: a reaction names the channel either way. */
  conversation_id: string;
  activity_id: string;
  recognition_id: number;
  posted_at: CreatedAt;
}

export interface NotificationOutboxTable {
  recognition_id: number;
  organization_id: number;
  origin: Platform;
  /** The `KudosGiven` event, as JSON. */
  event: ColumnType<Record<string, unknown>, string, never>;
  created_at: CreatedAt;
  /** When the job queue took it; null while it waits. */
  queued_at: ColumnType<Date | null, never, Date | null>;
}

export interface RewardSettingsTable {
  organization_id: number;
  /** Thousandths of a minor currency unit a point is worth (1000: a point is a cent). */
  point_value_milli: ColumnType<number, number | undefined, number>;
  hold_hours: ColumnType<number, number | undefined, number>;
  monthly_budget_minor: ColumnType<number | null, number | null | undefined, number | null>;
}

export type Fulfilment = 'manual' | 'webhook';

export interface RewardItemTable {
  id: Generated<number>;
  organization_id: number;
  name: string;
  description: ColumnType<string, string | undefined, string>;
  points_cost: number;
  price_minor: number;
  /** Null: unlimited. */
  stock: number | null;
  active: ColumnType<boolean, boolean | undefined, boolean>;
  fulfilment: Fulfilment;
  webhook_url: string | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, never, Date>;
  retired_at: ColumnType<Date | null, never, Date | null>;
}

export type RedemptionStatus =
  | 'held'
  | 'fulfilling'
  | 'fulfilled'
  | 'rejected'
  | 'cancelled'
  | 'expired';

export interface RedemptionTable {
  id: Generated<number>;
  organization_id: number;
  item_id: number;
  member_id: number;
  requested_by: number;
  request_key: string;
  status: ColumnType<RedemptionStatus, RedemptionStatus | undefined, RedemptionStatus>;
  points: number;
  price_minor: number;
  currency: string;
  fulfilment: Fulfilment;
  webhook_url: string | null;
  hold_transfer_id: number;
  requested_at: CreatedAt;
  expires_at: Date;
  fulfilling_since: ColumnType<Date | null, never, Date | null>;
  resolved_at: ColumnType<Date | null, never, Date | null>;
  resolved_by: ColumnType<number | null, never, number | null>;
  reason: ColumnType<string | null, never, string | null>;
  /** The status its member was last told of; see migration 0015. */
  told_status: ColumnType<
    RedemptionStatus | null,
    RedemptionStatus | null | undefined,
    RedemptionStatus | null
  >;
}

export interface BillingChargeTable {
  id: Generated<number>;
  organization_id: number;
  redemption_id: number;
  item_id: number;
  member_id: number;
  amount_minor: number;
  currency: string;
  charged_at: CreatedAt;
}

export type ApiTokenRole = 'admin' | 'hr';

export interface ApiTokenTable {
  id: Generated<number>;
  organization_id: number;
  name: string;
  role: ApiTokenRole;
  /** SHA-256 of the token, hex; the token itself is shown once and never stored. */
  token_hash: string;
  /** The token's last four characters, so people can tell their tokens apart. */
  hint: string;
  /** Made from PLAUDIT_ADMIN_TOKEN or at a local-mode start, not by a person. */
  seeded: ColumnType<boolean, boolean | undefined, boolean>;
  created_by_member_id: number | null;
  created_by_token_id: number | null;
  created_at: CreatedAt;
  last_used_at: ColumnType<Date | null, never, Date | null>;
  revoked_at: ColumnType<Date | null, never, Date | null>;
}

export type AuditVia = Platform | 'api' | 'console' | 'system';
export type AuditOutcome = 'done' | 'refused';

type Json = Record<string, unknown> | unknown[] | null;

export interface AuditLogTable {
  id: Generated<number>;
  organization_id: number;
  actor_member_id: number | null;
  actor_token_id: number | null;
  via: AuditVia;
  /** What was done or tried, as `area.verb`: `settings.change`, `role.grant`, `redemption.fulfil`. */
  action: string;
  /** What it was done to: `member:12`, `reward:3`, `redemption:9`; null for the organization. */
  target: string | null;
  outcome: AuditOutcome;
  refusal_code: string | null;
  before: ColumnType<Json, string | null, never>;
  after: ColumnType<Json, string | null, never>;
  created_at: CreatedAt;
}

export interface RecognitionReversalTable {
  recognition_id: number;
  organization_id: number;
  ledger_request_id: number;
  reversed_by_member_id: number | null;
  reversed_by_token_id: number | null;
  reason: string;
  created_at: CreatedAt;
}

/** A member's secret kept by its digest until it expires: a sign-in link's or a session's. */
interface MemberSecretTable {
  id: Generated<number>;
  organization_id: number;
  member_id: number;
  /** SHA-256 of the secret, hex; the secret itself is never stored. */
  token_hash: string;
  created_at: CreatedAt;
  expires_at: Date;
}

/** A one-time link to the web console, sent by direct message. */
export interface ConsoleSignInLinkTable extends MemberSecretTable {
  used_at: ColumnType<Date | null, never, Date | null>;
}

/** A signed-in web console session; the cookie holds its secret. */
export interface ConsoleSessionTable extends MemberSecretTable {
  ended_at: ColumnType<Date | null, never, Date | null>;
}

/** The one key that signs the console's cookies and form tokens when no CONSOLE_SECRET is set. */
export interface ConsoleSigningKeyTable {
  id: number;
  key: string;
  created_at: CreatedAt;
}

/** A run of the scheduled ledger verification; see migration 0016. */
export interface LedgerVerificationTable {
  id: Generated<number>;
  started_at: Date;
  finished_at: Date;
  organizations: number;
  violations: number;
  /** Violations per organization that has any, by organization id. */
  by_organization: ColumnType<Record<string, number>, string, never>;
  /** The first violations found, one line each. */
  sample: ColumnType<Array<{ organizationId: number; line: string }>, string, never>;
}

/** A one-time code that links a further Slack workspace or Teams tenant to an organization. */
export interface OrganizationLinkCodeTable {
  id: Generated<number>;
  /** The organization the workspace or tenant joins. */
  organization_id: number;
  created_by_member_id: number;
  /** SHA-256 of the code, hex; the code itself is shown once and kept nowhere. */
  code_hash: string;
  created_at: CreatedAt;
  expires_at: Date;
  used_at: ColumnType<Date | null, never, Date | null>;
  used_platform: ColumnType<'slack' | 'teams' | null, never, 'slack' | 'teams' | null>;
  used_tenant_id: ColumnType<string | null, never, string | null>;
  used_from_organization_id: ColumnType<number | null, never, number | null>;
}
