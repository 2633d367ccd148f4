//! Live updates of a connection ([`crate::connections`]): the Filevine webhook subscription
//! made through it (its id, the org and endpoint it was made for), what the admin wants
//! (`on`, or `off` while a delete is still owed to Filevine), the last failure of a
//! subscription call, and what the receiver records: the last delivery and how many were
//! refused. Keyed by the connection's row id, which outlives its name.

use tower_sessions_sqlx_store::sqlx::{self, Row};

use super::{Db, DbError};

/// One connection's live updates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveSubscriptionRow {
    pub connection_id: String,
    /// The connection's name when the row was last written (for logs and the audit log).
    pub connection: String,
    pub environment: String,
    /// `on` or `off` (an `off` row with a subscription id still owes Filevine a delete).
    pub wanted: String,
    pub org_id: Option<i64>,
    pub user_id: Option<i64>,
    pub subscription_id: Option<String>,
    pub endpoint: Option<String>,
    /// The last failed subscription call, in plain words (never a token).
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
    pub last_delivery_at: Option<i64>,
    pub refused_deliveries: i64,
    pub updated_at: i64,
    /// Subscription calls failed in a row (0 after one that worked): how long the next
    /// automatic try waits.
    pub failures: i64,
    /// When the next automatic try is due after a failure.
    pub retry_at: Option<i64>,
}

/// Builds a [`LiveSubscriptionRow`] from a row of either backend.
macro_rules! from_row {
    ($r:expr) => {
        LiveSubscriptionRow {
            connection_id: $r.get("connection_id"),
            connection: $r.get("connection"),
            environment: $r.get("environment"),
            wanted: $r.get("wanted"),
            org_id: $r.get("org_id"),
            user_id: $r.get("user_id"),
            subscription_id: $r.get("subscription_id"),
            endpoint: $r.get("endpoint"),
            last_error: $r.get("last_error"),
            last_error_at: $r.get("last_error_at"),
            last_delivery_at: $r.get("last_delivery_at"),
            refused_deliveries: $r.get("refused_deliveries"),
            updated_at: $r.get("updated_at"),
            failures: $r.get("failures"),
            retry_at: $r.get("retry_at"),
        }
    };
}

const COLUMNS: &str = "connection_id, connection, environment, wanted, org_id, user_id,
    subscription_id, endpoint, last_error, last_error_at, last_delivery_at,
    refused_deliveries, updated_at, failures, retry_at";

impl Db {
    /// Every connection's live-updates row.
    pub async fn live_subscriptions(&self) -> Result<Vec<LiveSubscriptionRow>, DbError> {
        let sql = format!("SELECT {COLUMNS} FROM fv_live_subscriptions ORDER BY connection");
        Ok(on_db!(self, &sql, [], fetch_all, |rows| rows
            .into_iter()
            .map(|r| from_row!(r))
            .collect())?)
    }

    /// The live-updates row of connection `connection_id`.
    pub async fn live_subscription(
        &self,
        connection_id: &str,
    ) -> Result<Option<LiveSubscriptionRow>, DbError> {
        let sql = format!("SELECT {COLUMNS} FROM fv_live_subscriptions WHERE connection_id = $1");
        Ok(on_db!(self, &sql, [connection_id], fetch_optional, |r| r
            .map(|r| from_row!(r)))?)
    }

    /// Writes `row` whole (what the subscription side knows), keeping what the receiver
    /// recorded (last delivery, refused count) as stored, and ends the row's lease.
    pub async fn live_subscription_put(&self, row: &LiveSubscriptionRow) -> Result<(), DbError> {
        const SQL: &str = "INSERT INTO fv_live_subscriptions (connection_id, connection,
                environment, wanted, org_id, user_id, subscription_id, endpoint, last_error,
                last_error_at, updated_at, failures, retry_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            ON CONFLICT (connection_id) DO UPDATE SET connection = excluded.connection,
                environment = excluded.environment, wanted = excluded.wanted,
                org_id = excluded.org_id, user_id = excluded.user_id,
                subscription_id = excluded.subscription_id, endpoint = excluded.endpoint,
                last_error = excluded.last_error, last_error_at = excluded.last_error_at,
                updated_at = excluded.updated_at, failures = excluded.failures,
                retry_at = excluded.retry_at, lease_until = NULL";
        on_db!(
            self,
            SQL,
            [
                &row.connection_id,
                &row.connection,
                &row.environment,
                &row.wanted,
                row.org_id,
                row.user_id,
                &row.subscription_id,
                &row.endpoint,
                &row.last_error,
                row.last_error_at,
                row.updated_at,
                row.failures,
                row.retry_at
            ],
            execute,
            |_| ()
        )?;
        Ok(())
    }

    /// Records what the admin wants of `row`'s connection (`wanted`, its name and
    /// environment), creating the row, and leaves what Filevine was told (the subscription,
    /// its failures) as stored: another replica may have just written it.
    pub async fn live_subscription_want(&self, row: &LiveSubscriptionRow) -> Result<(), DbError> {
        const SQL: &str = "INSERT INTO fv_live_subscriptions (connection_id, connection,
                environment, wanted, updated_at)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (connection_id) DO UPDATE SET connection = excluded.connection,
                environment = excluded.environment, wanted = excluded.wanted,
                updated_at = excluded.updated_at, retry_at = NULL";
        on_db!(
            self,
            SQL,
            [
                &row.connection_id,
                &row.connection,
                &row.environment,
                &row.wanted,
                row.updated_at
            ],
            execute,
            |_| ()
        )?;
        Ok(())
    }

    /// Takes the row's lease until `until`, unless another caller (request or replica) holds
    /// one past `now`: exactly one of them then talks to Filevine for the row, so two never
    /// subscribe the same org at once. [`Db::live_subscription_put`] ends the lease; a
    /// caller that died leaves one that runs out.
    pub async fn live_subscription_lease(
        &self,
        connection_id: &str,
        now: i64,
        until: i64,
    ) -> Result<bool, DbError> {
        const SQL: &str = "UPDATE fv_live_subscriptions SET lease_until = $1
            WHERE connection_id = $2 AND (lease_until IS NULL OR lease_until <= $3)";
        Ok(
            on_db!(self, SQL, [until, connection_id, now], execute, |r| r
                .rows_affected())?
                == 1,
        )
    }

    /// Forgets connection `connection_id`'s live updates (nothing is owed to Filevine).
    pub async fn live_subscription_delete(&self, connection_id: &str) -> Result<(), DbError> {
        const SQL: &str = "DELETE FROM fv_live_subscriptions WHERE connection_id = $1";
        on_db!(self, SQL, [connection_id], execute, |_| ())?;
        Ok(())
    }

    /// Whether `org_id` of `environment` has a subscription that works (wanted on, made at
    /// Filevine, its last call not failed): then its changes arrive as deliveries, and a
    /// dashboard page may be kept until one does ([`crate::projects::page_cache`]).
    pub async fn live_org_healthy(&self, environment: &str, org_id: i64) -> Result<bool, DbError> {
        const SQL: &str = "SELECT connection_id FROM fv_live_subscriptions
            WHERE environment = $1 AND org_id = $2 AND wanted = 'on'
                AND subscription_id IS NOT NULL AND last_error IS NULL
            LIMIT 1";
        Ok(on_db!(
            self,
            SQL,
            [environment, org_id],
            fetch_optional,
            |r| r.is_some()
        )?)
    }

    /// For the webhook receiver: a delivery for `org_id` of `environment` was accepted at
    /// `at`. Returns how many subscriptions it matched (0: an org no connection serves).
    pub async fn live_delivery_accepted(
        &self,
        environment: &str,
        org_id: i64,
        at: i64,
    ) -> Result<u64, DbError> {
        const SQL: &str = "UPDATE fv_live_subscriptions SET last_delivery_at = $1
            WHERE environment = $2 AND org_id = $3 AND wanted = 'on'";
        Ok(on_db!(
            self,
            SQL,
            [at, environment, org_id],
            execute,
            |r| r.rows_affected()
        )?)
    }

    /// For the webhook receiver: a delivery whose token names `environment`'s issuer was
    /// refused (bad token, bad body). Counted on the cards of that environment's subscriptions.
    pub async fn live_delivery_refused(&self, environment: &str) -> Result<u64, DbError> {
        const SQL: &str =
            "UPDATE fv_live_subscriptions SET refused_deliveries = refused_deliveries + 1
            WHERE environment = $1";
        Ok(on_db!(self, SQL, [environment], execute, |r| r.rows_affected())?)
    }
}
