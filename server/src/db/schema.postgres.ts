// The PostgreSQL store's tables: the same tables, column names, keys and indexes as
// schema.ts (SQLite), so that one set of SQL statements with plain names runs on both
// (test/server/schema-parity.postgres.test.ts compares them). Times stay ISO 8601 text, JSON stays the
// exact text that was hashed, and counters are int4: nothing comes back from node-postgres as a
// string where SQLite gives a number (int8 would).
import { bigserial, boolean, customType, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';


export const users = pgTable(
  'users',
  {
    id: text('id').primaryKey(),
    username: text('username').notNull(),
    displayName: text('display_name').notNull(),
    role: text('role', { enum: ['admin', 'lead', 'member', 'liaison', 'staff'] }).notNull(),
    agency: text('agency').notNull(),
    side: text('side', { enum: ['US', 'JP'] }).notNull(),
    locale: text('locale', { enum: ['en', 'ja'] }).notNull(),
    timeZone: text('time_zone').notNull(),
    passwordHash: text('password_hash').notNull(),
    disabled: boolean('disabled').notNull().default(false),
    /** Until the user chooses a new password, the account may do nothing else (see plugins/auth.ts). */
    mustChangePassword: boolean('must_change_password').notNull().default(false),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [uniqueIndex('users_username').on(t.username)],
);

/** Server-side sessions; the id is the SHA-256 of the cookie's secret, never the secret itself. */
export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: text('created_at').notNull(),
    lastSeenAt: text('last_seen_at').notNull(),
    expiresAt: text('expires_at').notNull(),
  },
  (t) => [index('sessions_user').on(t.userId)],
);

/** Personal API tokens, stored as the SHA-256 of the secret. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull(),
    createdAt: text('created_at').notNull(),
    lastUsedAt: text('last_used_at'),
    revokedAt: text('revoked_at'),
  },
  (t) => [uniqueIndex('api_tokens_hash').on(t.tokenHash), index('api_tokens_user').on(t.userId)],
);

/**
 * Head of each event stream: the last seq, hash and time, so an append reads one row (and never
 * stamps an event earlier than the one before it).
 */
export const streams = pgTable('streams', {
  name: text('name').primaryKey(),
  headSeq: integer('head_seq').notNull(),
  headHash: text('head_hash').notNull(),
  /** The `at` of the last event; the migration that added it filled it from that event. */
  headAt: text('head_at').notNull().default(''),
});

/** The append-only, hash-chained event log. */
export const events = pgTable(
  'events',
  {
    stream: text('stream').notNull(),
    seq: integer('seq').notNull(),
    type: text('type').notNull(),
    at: text('at').notNull(),
    actorId: text('actor_id'),
    /** JSON snapshot {id, displayName, agency, side} of the actor when the event happened. */
    actor: text('actor'),
    data: text('data').notNull(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
    /** The whole event as the API sends it, serialized once at append: catch-up pages are served without re-encoding. */
    json: text('json'),
  },
  (t) => [primaryKey({ columns: [t.stream, t.seq] })],
);

/** Responses kept for Idempotency-Key replays, committed with the change they made. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    userId: text('user_id').notNull(),
    method: text('method').notNull(),
    path: text('path').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    status: integer('status').notNull(),
    body: text('body').notNull(),
    createdAt: text('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.method, t.path, t.key] }), index('idempotency_created').on(t.createdAt)],
);

/** Incident rooms. `minerals` and `lessons` are JSON text; `version` rises by one per change. */
export const incidents = pgTable(
  'incidents',
  {
    id: text('id').primaryKey(),
    code: text('code').notNull(),
    year: integer('year').notNull(),
    number: integer('number').notNull(),
    title: text('title').notNull(),
    summary: text('summary').notNull(),
    status: text('status', { enum: ['monitoring', 'active', 'stabilizing', 'closed'] }).notNull(),
    severity: text('severity', { enum: ['critical', 'high', 'moderate', 'low'] }).notNull(),
    tlp: text('tlp', { enum: ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'] }).notNull(),
    minerals: text('minerals').notNull(),
    usLeadId: text('us_lead_id').references(() => users.id),
    jpLeadId: text('jp_lead_id').references(() => users.id),
    lessons: text('lessons').notNull(),
    version: integer('version').notNull(),
    createdBy: text('created_by')
      .notNull()
      .references(() => users.id),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull(),
    closedAt: text('closed_at'),
  },
  (t) => [uniqueIndex('incidents_code').on(t.code), uniqueIndex('incidents_year_number').on(t.year, t.number), index('incidents_status').on(t.status)],
);

export const incidentMembers = pgTable(
  'incident_members',
  {
    incidentId: text('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    addedAt: text('added_at').notNull(),
    addedBy: text('added_by'),
  },
  (t) => [primaryKey({ columns: [t.incidentId, t.userId] }), index('incident_members_user').on(t.userId)],
);

/** Supply alerts; the poster's name, agency and side are kept as they were when posted. */
export const alerts = pgTable(
  'alerts',
  {
    id: text('id').primaryKey(),
    mineral: text('mineral').notNull(),
    type: text('type').notNull(),
    severity: text('severity', { enum: ['critical', 'high', 'moderate', 'low'] }).notNull(),
    title: text('title').notNull(),
    body: text('body').notNull(),
    source: text('source'),
    originCountry: text('origin_country'),
    tlp: text('tlp', { enum: ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'] }).notNull(),
    status: text('status', { enum: ['new', 'acknowledged', 'escalated', 'dismissed'] }).notNull(),
    postedBy: text('posted_by')
      .notNull()
      .references(() => users.id),
    posterName: text('poster_name').notNull(),
    posterAgency: text('poster_agency').notNull(),
    posterSide: text('poster_side', { enum: ['US', 'JP'] }).notNull(),
    postedAt: text('posted_at').notNull(),
    /** When the poster wrote it, if they said (an alert kept offline is sent later); never after postedAt. */
    observedAt: text('observed_at'),
    updatedAt: text('updated_at').notNull(),
    incidentId: text('incident_id').references(() => incidents.id),
    dismissReason: text('dismiss_reason'),
    dismissedBy: text('dismissed_by'),
    dismissedByName: text('dismissed_by_name'),
    dismissedAt: text('dismissed_at'),
  },
  (t) => [index('alerts_posted').on(t.postedAt), index('alerts_incident').on(t.incidentId), index('alerts_status').on(t.status)],
);

export const alertAcknowledgements = pgTable(
  'alert_acknowledgements',
  {
    alertId: text('alert_id')
      .notNull()
      .references(() => alerts.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    displayName: text('display_name').notNull(),
    agency: text('agency').notNull(),
    side: text('side', { enum: ['US', 'JP'] }).notNull(),
    at: text('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.alertId, t.userId] })],
);

/** Notes and decisions of an incident's timeline (the stream holds them too, with everything else). */
export const messages = pgTable(
  'messages',
  {
    id: text('id').primaryKey(),
    incidentId: text('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['note', 'decision'] }).notNull(),
    body: text('body').notNull(),
    authorId: text('author_id')
      .notNull()
      .references(() => users.id),
    authorName: text('author_name').notNull(),
    authorAgency: text('author_agency').notNull(),
    authorSide: text('author_side', { enum: ['US', 'JP'] }).notNull(),
    /** The author's role when they wrote it, shown beside the name; null for entries written before it was kept. */
    authorRole: text('author_role', { enum: ['admin', 'lead', 'member', 'liaison', 'staff'] }),
    seq: integer('seq').notNull(),
    at: text('at').notNull(),
  },
  (t) => [index('messages_incident').on(t.incidentId, t.kind, t.at)],
);

/** Action items of an incident; `version` rises by one per change. */
export const actions = pgTable(
  'actions',
  {
    id: text('id').primaryKey(),
    incidentId: text('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    description: text('description').notNull(),
    ownerId: text('owner_id').references(() => users.id),
    agency: text('agency'),
    provision: text('provision'),
    priority: text('priority', { enum: ['p1', 'p2', 'p3', 'p4'] }).notNull(),
    status: text('status', { enum: ['open', 'in_progress', 'blocked', 'done', 'cancelled'] }).notNull(),
    dueAt: text('due_at'),
    version: integer('version').notNull(),
    createdBy: text('created_by')
      .notNull()
      .references(() => users.id),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull(),
    /** JSON {id, displayName, agency, side} of who made the last change. */
    updatedBy: text('updated_by').notNull(),
    doneAt: text('done_at'),
    cancelledAt: text('cancelled_at'),
  },
  (t) => [index('actions_incident').on(t.incidentId), index('actions_owner').on(t.ownerId), index('actions_due').on(t.dueAt)],
);

/**
 * Wrong passwords of the last window, per throttle key (an HMAC of the name, or of the name and
 * address, under the server secret: attempted names are not kept in clear), for every node.
 */
export const signInFailures = pgTable(
  'sign_in_failures',
  {
    key: text('key').notNull(),
    at: text('at').notNull(),
  },
  (t) => [index('sign_in_failures_key_at').on(t.key, t.at)],
);

/** A (name, address) pair held after too many wrong passwords: until when. */
export const signInHolds = pgTable('sign_in_holds', {
  key: text('key').primaryKey(),
  until: text('until').notNull(),
});

/**
 * The table @socket.io/postgres-adapter keeps payloads in that are too large for a NOTIFY
 * (PostgreSQL only: on SQLite there is one node and no adapter). Its shape is the adapter's.
 */
export const socketIoAttachments = pgTable('socket_io_attachments', {
  id: bigserial('id', { mode: 'number' }).unique(),
  createdAt: timestamp('created_at', { withTimezone: true }).defaultNow(),
  payload: customType<{ data: Buffer }>({ dataType: () => 'bytea' })('payload'),
});
