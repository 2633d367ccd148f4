//! The organization each user chose last, so a user in several organizations is not asked
//! again at every sign-in (issue 16). Keyed by the ID token's issuer and subject, which name
//! a person for as long as the provider does; a choice is only a preference, so it is
//! applied only while the org is still among the user's orgs.

use tower_sessions_sqlx_store::sqlx::{self, Row};

use super::{Db, DbError};

impl Db {
    /// The organization `subject` (of `issuer`) chose last, if any.
    pub async fn org_choice_get(
        &self,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<i64>, DbError> {
        const SQL: &str = "SELECT org_id FROM fv_org_choice WHERE issuer = $1 AND subject = $2";
        Ok(on_db!(self, SQL, [issuer, subject], fetch_optional, |r| r
            .map(|r| r.get::<i64, _>("org_id")))?)
    }

    /// Remembers `org_id` as the last choice of `subject` (of `issuer`).
    pub async fn org_choice_put(
        &self,
        issuer: &str,
        subject: &str,
        org_id: i64,
        now: i64,
    ) -> Result<(), DbError> {
        const SQL: &str = "INSERT INTO fv_org_choice (issuer, subject, org_id, chosen_at)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (issuer, subject) DO UPDATE SET org_id = excluded.org_id,
                chosen_at = excluded.chosen_at";
        on_db!(self, SQL, [issuer, subject, org_id, now], execute, |_| ())?;
        Ok(())
    }
}
