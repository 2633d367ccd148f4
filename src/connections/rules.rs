//! What a valid connection is. The settings form, scripts posting to it and the tests all go
//! through [`check`], so a rule is written once. A broken rule is a [`FormError`] naming the
//! field, and the page shows it next to the fields as typed (never the PAT).

use serde::{Deserialize, Serialize};

use super::{
    AuthKind, Connection, ConnectionName, DEFAULT_CONCURRENCY, ENV_CONNECTION, MAX_CONCURRENCY,
};

/// The form's fields as typed. Serializable because a verified draft waits, sealed, in the
/// admin's session until Save. Holds no secret.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub name: String,
    pub environment: String,
    pub auth: String,
    pub email: String,
    pub concurrency: String,
    pub borrow_from: String,
    /// The form edits an existing connection (its own card on the page) rather than
    /// creating one, so an existing name is not a duplicate.
    pub editing: bool,
    /// When the PAT expires (`YYYY-MM-DD`, the date input's format), if the admin knows:
    /// admins are warned before it does.
    #[serde(default)]
    pub pat_expires: String,
}

/// A draft that passed [`check`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidDraft {
    pub name: ConnectionName,
    pub environment: String,
    pub auth: AuthKind,
    pub email: String,
    pub concurrency: u8,
    pub borrow_from: Option<ConnectionName>,
    pub pat_expires: Option<time::Date>,
}

/// A broken rule: which field, and what to do.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FormError {
    pub field: &'static str,
    pub message: String,
}

fn error(field: &'static str, message: impl Into<String>) -> FormError {
    FormError {
        field,
        message: message.into(),
    }
}

/// Checks `draft` against the connections that exist (the read-only one included) and the
/// configured environments.
pub fn check(
    draft: &Draft,
    existing: &[Connection],
    environments: &[String],
) -> Result<ValidDraft, FormError> {
    let name = ConnectionName::parse(&draft.name).ok_or_else(|| {
        error(
            "name",
            "The name must be 1 to 40 lower-case letters, digits or hyphens, starting with a letter or digit (for example `us-reporting`).",
        )
    })?;
    if name.as_str() == ENV_CONNECTION {
        return Err(error(
            "name",
            "The name `env` is reserved for the connection configured by FV_PAT: choose another.",
        ));
    }
    let current = existing.iter().find(|c| c.name == name);
    match (draft.editing, current) {
        (false, Some(_)) => {
            return Err(error(
                "name",
                format!("A connection named `{name}` already exists: choose another name, or change that connection in its own card."),
            ))
        }
        (true, None) => {
            return Err(error(
                "name",
                format!("There is no connection named `{name}` to change."),
            ))
        }
        _ => {}
    }
    let environment = match draft.environment.trim() {
        "" if environments.len() == 1 => environments[0].clone(),
        e if environments.iter().any(|known| known == e) => e.to_owned(),
        e => {
            return Err(error(
                "environment",
                format!(
                    "Unknown environment `{e}`: this app is configured for {}.",
                    environments.join(", ")
                ),
            ))
        }
    };
    let auth = match draft.auth.trim() {
        "" => AuthKind::Pat,
        a => AuthKind::parse(a)
            .ok_or_else(|| error("auth", "Authentication must be `pat` or `refresh_token`."))?,
    };
    let email = draft.email.trim().to_owned();
    if auth == AuthKind::Pat && !email.contains('@') {
        return Err(error("email", "Enter the service account's email address."));
    }
    let concurrency = match draft.concurrency.trim() {
        "" => DEFAULT_CONCURRENCY,
        c => c
            .parse::<u8>()
            .ok()
            .filter(|n| (1..=MAX_CONCURRENCY).contains(n))
            .ok_or_else(|| {
                error(
                    "concurrency",
                    format!("Concurrency must be a whole number from 1 to {MAX_CONCURRENCY}."),
                )
            })?,
    };
    let borrow_from = borrowing(&name, &environment, &draft.borrow_from, existing)?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let pat_expires = match draft.pat_expires.trim() {
        "" => None,
        d => Some(time::Date::parse(d, format).map_err(|_| {
            error(
                "pat_expires",
                "The PAT's expiry must be a date such as 2027-06-30 (leave it empty when unknown).",
            )
        })?),
    };
    Ok(ValidDraft {
        name,
        environment,
        auth,
        email,
        concurrency,
        borrow_from,
        pat_expires,
    })
}

/// One level of borrowing: the lender exists, is in the same environment (Filevine's limits
/// are per org of one environment), is not this connection, borrows from nobody, and this
/// connection lends to nobody. A cycle is the case where the lender borrows from us.
fn borrowing(
    name: &ConnectionName,
    environment: &str,
    raw: &str,
    existing: &[Connection],
) -> Result<Option<ConnectionName>, FormError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let field = "borrow_from";
    let lender_name = ConnectionName::parse(raw).ok_or_else(|| {
        error(
            field,
            format!("There is no connection named `{raw}` to borrow from."),
        )
    })?;
    if &lender_name == name {
        return Err(error(
            field,
            "A connection cannot borrow concurrency from itself.",
        ));
    }
    let lender = existing
        .iter()
        .find(|c| c.name == lender_name)
        .ok_or_else(|| {
            error(
                field,
                format!("There is no connection named `{lender_name}` to borrow from."),
            )
        })?;
    match &lender.borrow_from {
        Some(l) if l == name => {
            return Err(error(
                field,
                format!("`{lender_name}` borrows from `{name}`: borrowing back would be a cycle."),
            ))
        }
        Some(l) => {
            return Err(error(
                field,
                format!("`{lender_name}` itself borrows from `{l}`: borrow from `{l}` directly (one level of borrowing)."),
            ))
        }
        None => {}
    }
    if let Some(borrower) = existing
        .iter()
        .find(|c| c.borrow_from.as_ref() == Some(name))
    {
        return Err(error(
            field,
            format!("`{}` borrows from `{name}`, so `{name}` cannot borrow itself (one level of borrowing).", borrower.name),
        ));
    }
    if lender.environment != environment {
        return Err(error(
            field,
            format!("`{lender_name}` is a connection to `{}`: a pool is shared only within one environment.", lender.environment),
        ));
    }
    Ok(Some(lender_name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connections::Status;

    fn conn(name: &str, borrow_from: Option<&str>) -> Connection {
        Connection {
            id: String::new(),
            name: ConnectionName::parse(name).unwrap(),
            environment: "us".into(),
            auth: AuthKind::Pat,
            concurrency: 8,
            borrow_from: borrow_from.map(|b| ConnectionName::parse(b).unwrap()),
            email: "bot@example.com".into(),
            last4: String::new(),
            verified_name: None,
            status: Status::Untested,
            last_success_at: None,
            last_error: None,
            last_error_at: None,
            updated_by: "t".into(),
            read_only: false,
            has_secret: true,
        }
    }

    fn draft(name: &str, concurrency: &str, borrow_from: &str) -> Draft {
        Draft {
            name: name.into(),
            email: "bot@example.com".into(),
            concurrency: concurrency.into(),
            borrow_from: borrow_from.into(),
            ..Draft::default()
        }
    }

    fn field(d: &Draft, existing: &[Connection]) -> &'static str {
        check(d, existing, &["us".into()]).unwrap_err().field
    }

    #[test]
    fn defaults_fill_the_empty_fields() {
        let ok = check(&draft("reports", "", ""), &[], &["us".into()]).unwrap();
        assert_eq!(
            (ok.concurrency, ok.auth, ok.environment.as_str()),
            (8, AuthKind::Pat, "us")
        );
        assert_eq!(ok.borrow_from, None);
    }

    #[test]
    fn names_and_levels_are_checked() {
        let existing = [conn("a", None)];
        assert_eq!(field(&draft("a", "", ""), &existing), "name");
        assert_eq!(field(&draft("Bad Name", "", ""), &[]), "name");
        assert_eq!(field(&draft("env", "", ""), &[]), "name");
        assert_eq!(field(&draft("b", "0", ""), &[]), "concurrency");
        assert_eq!(field(&draft("b", "26", ""), &[]), "concurrency");
        assert!(check(&draft("b", "25", ""), &[], &["us".into()]).is_ok());
        let mut d = draft("b", "", "");
        d.environment = "eu".into();
        assert_eq!(field(&d, &[]), "environment");
    }

    #[test]
    fn borrowing_is_one_level_without_cycles() {
        let existing = [conn("a", None), conn("b", Some("a"))];
        assert_eq!(field(&draft("c", "", "c"), &existing), "borrow_from");
        assert_eq!(field(&draft("c", "", "missing"), &existing), "borrow_from");
        assert_eq!(field(&draft("c", "", "b"), &existing), "borrow_from");
        // a lends to b: editing a to borrow from b is a cycle.
        let mut edit = draft("a", "", "b");
        edit.editing = true;
        let e = check(&edit, &existing, &["us".into()]).unwrap_err();
        assert!(e.message.contains("cycle"), "{e}");
        let ok = check(&draft("c", "", "a"), &existing, &["us".into()]).unwrap();
        assert_eq!(ok.borrow_from.unwrap().as_str(), "a");
    }
}
