/**
 * What an organization archive holds, table by table, in the order an import inserts them
 * (a table after those its foreign keys point at). Every table with an `organization_id` or
 * `org_id` column is either here or in `NOT_ARCHIVED` with the reason; the round-trip test fails
 * when a new table is in neither, so nothing is exported or left out by accident.
 */
export interface ArchiveTable {
  readonly table: string;
  /** Which rows belong to the organization `$org` (an escaped literal); default: `organization_id = $org`. */
  readonly where?: (org: string) => string;
  /** Columns never exported: hashes of secrets, passwords and sealed secrets. */
  readonly omit?: readonly string[];
  /**
   * Values an import puts in place of omitted columns that cannot be empty, as SQL expressions
   * of type jsonb over the archived row `r`: what is lost stays unusable instead of made up.
   */
  readonly onImport?: Readonly<Record<string, string>>;
  /** Exported as metadata only: its secret is sealed and never leaves, so an import lists it to be re-created instead of inserting it. */
  readonly secretHeld?: true;
}

/** The envelope columns of a sealed secret (`db/sealed-secret.entity.ts`). */
const SEALED = ['kek_id', 'wrapped_key', 'iv', 'ciphertext', 'tag'] as const;

/** A value no secret hashes to (64 hex characters of a fresh random uuid's SHA-256): the row's secret is gone. */
const UNUSABLE_HASH = `to_jsonb(encode(sha256(gen_random_uuid()::text::bytea), 'hex'))`;

const ofOrg = (column: string) => (org: string) => `"${column}" = ${org}`;

export const ARCHIVE_TABLES: readonly ArchiveTable[] = [
  { table: 'organizations', where: ofOrg('id') },
  {
    table: 'users',
    where: (org) =>
      `id in (select user_id from memberships where organization_id = ${org} union select user_id from team_members where organization_id = ${org}
        union select invited_by_id from invitations where organization_id = ${org} union select user_id from scim_users where organization_id = ${org}
        union select user_id from playground_conversations where organization_id = ${org})`,
    omit: ['password_hash'],
  },
  { table: 'memberships' },
  { table: 'teams' },
  { table: 'team_members' },
  {
    table: 'invitations',
    omit: ['token_hash'],
    // An invitation's link does not come along: a pending one is imported withdrawn (invite again).
    onImport: {
      token_hash: UNUSABLE_HASH,
      revoked_at: `coalesce(nullif(r -> 'revoked_at', 'null'), case when r -> 'accepted_at' = 'null' then to_jsonb(now()) end, 'null')`,
    },
  },
  { table: 'scim_users' },
  { table: 'scim_groups' },
  { table: 'scim_group_teams' },
  { table: 'credentials', omit: SEALED, secretHeld: true },
  { table: 'mcp_servers', omit: SEALED, secretHeld: true },
  // A webhook URL is a secret too (a token in its path or query): its plain copy of earlier releases is left out with the sealed one.
  { table: 'webhooks', omit: [...SEALED, 'sealed_url', 'url'], secretHeld: true },
  { table: 'audit_sinks', omit: SEALED, secretHeld: true },
  { table: 'sso_connections', omit: SEALED, secretHeld: true },
  { table: 'routes' },
  { table: 'route_versions' },
  { table: 'roles' },
  {
    table: 'keys',
    omit: ['secret_hash'],
    // Without its secret's hash a key cannot authenticate: it is imported revoked, with its history.
    onImport: { secret_hash: UNUSABLE_HASH, status: `'"revoked"'::jsonb`, revoked_at: `coalesce(nullif(r -> 'revoked_at', 'null'), to_jsonb(now()))` },
  },
  { table: 'playground_conversations' },
  { table: 'key_pools' },
  { table: 'pool_recipients', omit: ['link_hash'] },
  { table: 'pool_key_notices' },
  { table: 'policies' },
  { table: 'policy_versions' },
  { table: 'policy_attachments' },
  { table: 'route_bindings' },
  { table: 'budgets' },
  { table: 'budget_alerts' },
  { table: 'rate_limits' },
  { table: 'mcp_access_grants' },
  { table: 'hdp_trusted_issuers' },
  { table: 'anomaly_baselines' },
  { table: 'billing_accounts' },
  { table: 'credit_ledger' },
  { table: 'spend_rollups' },
  { table: 'performance_rollups' },
  { table: 'performance_minute_rollups' },
  { table: 'performance_quarter_rollups' },
  { table: 'usage_hour_rollups' },
  { table: 'usage_quarter_rollups' },
  { table: 'approval_requests' },
  { table: 'approval_events' },
  { table: 'approval_link_uses' },
  { table: 'usage_events' },
  { table: 'audit_entries' },
  { table: 'audit_chain_links' },
  { table: 'audit_chain_heads' },
  { table: 'audit_checkpoints' },
];

/** Tables with an organization column that an archive leaves out, and why. */
export const NOT_ARCHIVED: Readonly<Record<string, string>> = {
  key_secrets: "hashes of keys' previous secrets during rotation",
  api_tokens: 'hashes of API tokens (create new ones)',
  scim_tokens: 'hashes of SCIM tokens (create new ones)',
  node_tokens: "hashes of nodes' tokens (nodes enrol with the new installation)",
  nodes: 'the nodes connected to this installation',
  sso_sign_in_attempts: 'single sign-on attempts in flight',
  webhook_deliveries: 'deliveries of webhooks, whose secrets are not exported',
  audit_sink_dead_letters: 'failed deliveries to audit sinks, whose secrets are not exported',
  config_versions: 'published configs (they carry sealed credentials); the importing control plane publishes the organization at its next start',
};

/** The archive's own words on what it leaves out. */
export const NOT_EXPORTED_NOTE =
  'Secrets are never exported: provider credentials, MCP server, webhook and audit sink secrets and the SSO client secret stay sealed in the source ' +
  '(their rows are here as metadata, to be re-created with their secrets), and no password, key or token hash is here, so imported keys are revoked ' +
  'and pending invitations withdrawn. Left out: ' +
  Object.entries(NOT_ARCHIVED)
    .map(([table, why]) => `${table} (${why})`)
    .join('; ') +
  '.';
