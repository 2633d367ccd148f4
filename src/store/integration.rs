//! The service-account connection table: one row holding the sealed PAT (never the PAT
//! itself), its last four characters and what the last verification found.

use tower_sessions_sqlx_store::sqlx::{self, Row};

use super::{Db, DbError};

/// The stored connection. `sealed_pat` is AES-GCM sealed with purpose `"pat"`.
#[derive(Debug, Clone, Default)]
pub struct IntegrationRow {
    pub sealed_pat: Option<String>,
    pub last4: String,
    pub email: String,
    pub verified_name: Option<String>,
    pub verified_at: Option<i64>,
    pub token_valid_until: Option<i64>,
    pub last_error: Option<String>,
    pub updated_by: String,
    pub updated_at: i64,
}

const COLUMNS: &str = "sealed_pat, last4, email, verified_name, verified_at, token_valid_until, last_error, updated_by, updated_at";

/// Builds an [`IntegrationRow`] from a row of either backend.
macro_rules! from_row {
    ($r:expr) => {
        IntegrationRow {
            sealed_pat: $r.get("sealed_pat"),
            last4: $r.get("last4"),
            email: $r.get("email"),
            verified_name: $r.get("verified_name"),
            verified_at: $r.get("verified_at"),
            token_valid_until: $r.get("token_valid_until"),
            last_error: $r.get("last_error"),
            updated_by: $r.get("updated_by"),
            updated_at: $r.get("updated_at"),
        }
    };
}

impl Db {
    /// The stored connection, if any.
    pub async fn integration_get(&self) -> Result<Option<IntegrationRow>, DbError> {
        let sql = format!("SELECT {COLUMNS} FROM fv_integration WHERE id = 1");
        Ok(on_db!(self, &sql, [], fetch_optional, |r| r.map(|r| from_row!(r)))?)
    }

    /// Creates or replaces the connection.
    pub async fn integration_put(&self, row: &IntegrationRow) -> Result<(), DbError> {
        const SQL: &str = "INSERT INTO fv_integration (id, sealed_pat, last4, email,
            verified_name, verified_at, token_valid_until, last_error, updated_by, updated_at)
            VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (id) DO UPDATE SET sealed_pat = excluded.sealed_pat,
                last4 = excluded.last4, email = excluded.email,
                verified_name = excluded.verified_name, verified_at = excluded.verified_at,
                token_valid_until = excluded.token_valid_until, last_error = excluded.last_error,
                updated_by = excluded.updated_by, updated_at = excluded.updated_at";
        on_db!(
            self,
            SQL,
            [
                &row.sealed_pat,
                &row.last4,
                &row.email,
                &row.verified_name,
                row.verified_at,
                row.token_valid_until,
                &row.last_error,
                &row.updated_by,
                row.updated_at,
            ],
            execute,
            |_| ()
        )?;
        Ok(())
    }

    /// Records the outcome of using the stored PAT (`None` clears the error).
    pub async fn integration_set_status(
        &self,
        last_error: Option<&str>,
        token_valid_until: Option<i64>,
    ) -> Result<(), DbError> {
        const SQL: &str = "UPDATE fv_integration SET last_error = $1,
            token_valid_until = COALESCE($2, token_valid_until) WHERE id = 1";
        on_db!(self, SQL, [last_error, token_valid_until], execute, |_| ())?;
        Ok(())
    }

    /// Removes the connection.
    pub async fn integration_delete(&self) -> Result<(), DbError> {
        on_db!(self, "DELETE FROM fv_integration", [], execute, |_| ())?;
        Ok(())
    }
}
