-- The schema on SQLite.
--
-- Every table as the release before versioned migrations created it by hand at start-up, so
-- `IF NOT EXISTS` throughout: on a database that release made, this migration finds every table
-- and index in place and only records itself; on an empty database it creates them all.
-- Later migrations are plain statements (see src/store/migrations.rs). Integer columns are
-- BIGINT on both backends (SQLite gives `BIGINT` integer affinity), so queries read alike.

CREATE TABLE IF NOT EXISTS fv_token_vault (
    id TEXT PRIMARY KEY NOT NULL,
    sealed TEXT NOT NULL,
    version BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT
);

CREATE TABLE IF NOT EXISTS fv_integration (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    sealed_pat TEXT,
    last4 TEXT NOT NULL,
    email TEXT NOT NULL,
    verified_name TEXT,
    verified_at BIGINT,
    token_valid_until BIGINT,
    last_error TEXT,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The snapshots taken before they were kept per environment; the next migration drops it.
CREATE TABLE IF NOT EXISTS fv_snapshots (
    org_id BIGINT NOT NULL,
    taken_at BIGINT NOT NULL,
    phase TEXT NOT NULL,
    count BIGINT NOT NULL,
    connection TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, taken_at, phase)
);

-- The environment is part of the key: each environment numbers its own orgs, so one run may
-- count a US and a Canadian org of the same id at the same moment.
CREATE TABLE IF NOT EXISTS fv_phase_snapshots (
    environment TEXT NOT NULL,
    org_id BIGINT NOT NULL,
    taken_at BIGINT NOT NULL,
    phase TEXT NOT NULL,
    count BIGINT NOT NULL,
    connection TEXT NOT NULL,
    PRIMARY KEY (environment, org_id, taken_at, phase)
);

-- Who took each connection's scheduled snapshot last: replicas whose ticks coincide (started
-- together, or woken by one clock) claim the run here, and only one wins.
CREATE TABLE IF NOT EXISTS fv_snapshot_claims (
    connection TEXT PRIMARY KEY,
    claimed_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS fv_connections (
    name TEXT PRIMARY KEY NOT NULL,
    environment TEXT NOT NULL,
    auth TEXT NOT NULL,
    concurrency BIGINT NOT NULL,
    borrow_from TEXT,
    sealed_secret TEXT,
    last4 TEXT NOT NULL,
    email TEXT NOT NULL,
    verified_name TEXT,
    status TEXT NOT NULL,
    last_success_at BIGINT,
    last_error TEXT,
    last_error_at BIGINT,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    id TEXT NOT NULL DEFAULT ''
);

CREATE TABLE IF NOT EXISTS fv_connection_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    who TEXT NOT NULL,
    connection TEXT NOT NULL,
    what TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS fv_live_subscriptions (
    connection_id TEXT PRIMARY KEY NOT NULL,
    connection TEXT NOT NULL,
    environment TEXT NOT NULL,
    wanted TEXT NOT NULL,
    org_id BIGINT,
    user_id BIGINT,
    subscription_id TEXT,
    endpoint TEXT,
    last_error TEXT,
    last_error_at BIGINT,
    last_delivery_at BIGINT,
    refused_deliveries BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    claims BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS fv_permits (
    pool TEXT NOT NULL,
    slot BIGINT NOT NULL,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (pool, slot)
);

CREATE TABLE IF NOT EXISTS fv_feed_keys (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    connection TEXT NOT NULL,
    org_id BIGINT NOT NULL,
    filters TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT,
    connection_id TEXT NOT NULL DEFAULT ''
);

CREATE TABLE IF NOT EXISTS fv_org_choice (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    org_id BIGINT NOT NULL,
    chosen_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject)
);

CREATE TABLE IF NOT EXISTS fv_session_index (
    stored_id TEXT PRIMARY KEY NOT NULL,
    environment TEXT NOT NULL,
    subject TEXT NOT NULL,
    sid TEXT,
    email TEXT,
    vault_id TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    browser TEXT,
    expires_at BIGINT NOT NULL
);
-- Look-ups by user and by provider session.
CREATE INDEX IF NOT EXISTS fv_session_index_subject ON fv_session_index (environment, subject);
CREATE INDEX IF NOT EXISTS fv_session_index_sid ON fv_session_index (environment, sid);

-- Logout tokens' `jti`s already used, per issuer, until they could no longer be accepted.
CREATE TABLE IF NOT EXISTS fv_logout_jti (
    issuer TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, jti)
);

CREATE TABLE IF NOT EXISTS fv_connection_health (
    connection TEXT PRIMARY KEY NOT NULL,
    health TEXT NOT NULL,
    reason TEXT NOT NULL,
    since BIGINT NOT NULL,
    checked_at BIGINT NOT NULL,
    claimed_at BIGINT NOT NULL,
    alerted TEXT NOT NULL,
    alerted_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS fv_health_checks (
    id TEXT PRIMARY KEY NOT NULL,
    connection TEXT NOT NULL,
    checked_at_ms BIGINT NOT NULL,
    health TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS fv_health_checks_by_connection ON fv_health_checks (connection, checked_at_ms);

-- Expiry alerts sent: one per credential, expiry date and threshold (days before).
CREATE TABLE IF NOT EXISTS fv_expiry_alerts (
    subject TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    threshold BIGINT NOT NULL,
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (subject, expires_on, threshold)
);

-- Expiry dates of credentials saved through the app (a PAT's "expires on").
CREATE TABLE IF NOT EXISTS fv_credential_expiry (
    subject TEXT PRIMARY KEY NOT NULL,
    expires_on TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS fv_alert_outbox (
    id TEXT PRIMARY KEY NOT NULL,
    channel TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    next_at BIGINT NOT NULL,
    sent_at BIGINT,
    last_error TEXT
);

CREATE TABLE IF NOT EXISTS fv_served_orgs (
    environment TEXT NOT NULL,
    org_id BIGINT NOT NULL,
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (environment, org_id)
);

CREATE TABLE IF NOT EXISTS fv_webhook_inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    environment TEXT NOT NULL,
    org_id BIGINT NOT NULL,
    jti TEXT,
    body_hash TEXT NOT NULL,
    day BIGINT NOT NULL,
    event TEXT NOT NULL,
    project_id BIGINT,
    body TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    applied_at BIGINT
);
-- One delivery per token id per environment.
CREATE UNIQUE INDEX IF NOT EXISTS fv_webhook_inbox_jti
    ON fv_webhook_inbox (environment, jti) WHERE jti IS NOT NULL;
-- One delivery per body per environment, org and day.
CREATE UNIQUE INDEX IF NOT EXISTS fv_webhook_inbox_body
    ON fv_webhook_inbox (environment, org_id, body_hash, day);
-- The worker's scan of what is left to apply.
CREATE INDEX IF NOT EXISTS fv_webhook_inbox_pending
    ON fv_webhook_inbox (outcome, id);

-- tower-sessions' records (tower_sessions_sqlx_store::SqliteStore's default table).
CREATE TABLE IF NOT EXISTS tower_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    data BLOB NOT NULL,
    expiry_date INTEGER NOT NULL
);
