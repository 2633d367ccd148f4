//! `ReturnTo`: where to send the user after login, proven to stay on this site.
//!
//! Open redirects through a post-login parameter are the classic OAuth client bug
//! (oauth2-proxy has shipped several bypasses: `//evil`, `/\evil`, `/%2F%2Fevil`, tabs and
//! newlines that browsers strip). The rule here is deliberately narrow: a single leading `/`,
//! then no backslash, no control or whitespace characters, and no second `/` right after the
//! first, before or after percent-decoding. Anything else falls back to `/`.

use std::fmt;

use percent_encoding::percent_decode_str;

/// A same-site path (with optional query) that is safe to redirect to.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReturnTo(String);

/// Why a `return_to` value was refused (logged, never shown).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReturnToError {
    #[error("must be a path starting with a single '/'")]
    NotRelativePath,
    #[error("contains a backslash, whitespace or control character")]
    ForbiddenCharacter,
    #[error("is longer than 2048 characters")]
    TooLong,
}

impl ReturnTo {
    /// The site root, the fall-back for anything refused.
    pub fn root() -> Self {
        Self("/".to_owned())
    }

    /// Parses a candidate from a query string or form.
    pub fn parse(candidate: &str) -> Result<Self, ReturnToError> {
        if candidate.len() > 2048 {
            return Err(ReturnToError::TooLong);
        }
        if candidate.chars().any(char::is_whitespace) {
            return Err(ReturnToError::ForbiddenCharacter);
        }
        check_path(candidate)?;
        // Browsers and servers decode; check the decoded form as well (twice, for double
        // encoding such as %252F). A decoded space is fine (`?q=smith%20jones`), a decoded
        // control character or backslash is not.
        let once = percent_decode_str(candidate).decode_utf8_lossy();
        check_path(&once)?;
        let twice = percent_decode_str(&once).decode_utf8_lossy();
        check_path(&twice)?;
        Ok(Self(candidate.to_owned()))
    }

    /// Parses, falling back to `/` (and saying why in the log) when refused.
    pub fn parse_or_root(candidate: Option<&str>) -> Self {
        match candidate {
            None | Some("") => Self::root(),
            Some(c) => Self::parse(c).unwrap_or_else(|err| {
                tracing::warn!(reason = %err, "refused return_to; using /");
                Self::root()
            }),
        }
    }

    /// The path, for a `Location` header.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_path(p: &str) -> Result<(), ReturnToError> {
    let mut chars = p.chars();
    if chars.next() != Some('/') {
        return Err(ReturnToError::NotRelativePath);
    }
    if p.chars().any(|c| c == '\\' || c.is_control()) {
        return Err(ReturnToError::ForbiddenCharacter);
    }
    if matches!(chars.next(), Some('/')) {
        return Err(ReturnToError::NotRelativePath);
    }
    Ok(())
}

impl TryFrom<String> for ReturnTo {
    type Error = ReturnToError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ReturnTo> for String {
    fn from(value: ReturnTo) -> Self {
        value.0
    }
}

impl fmt::Debug for ReturnTo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReturnTo({:?})", self.0)
    }
}

impl fmt::Display for ReturnTo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_plain_paths() {
        for ok in [
            "/",
            "/profile",
            "/projects?q=smith&page=2",
            "/projects/123",
            "/a%20b",
            "/projects?q=smith%20jones",
        ] {
            assert_eq!(ReturnTo::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn refuses_known_bypasses() {
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/%2F%2Fevil.example",
            "/%2f/evil.example",
            "/%252F%252Fevil.example",
            "https://evil.example",
            "https:evil.example",
            "/%09/evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/%0a/evil.example",
            "/%0d%0a/evil.example",
            "javascript:alert(1)",
            "/%5Cevil.example",
            "evil.example",
            " /profile",
            "",
        ] {
            assert!(ReturnTo::parse(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn display_is_the_path_itself() {
        // The organization chooser renders it into its hidden field.
        let rt = ReturnTo::parse("/projects?q=a&page=2").unwrap();
        assert_eq!(rt.to_string(), "/projects?q=a&page=2");
        assert_eq!(ReturnTo::root().to_string(), "/");
    }

    #[test]
    fn at_most_2048_characters() {
        let at_cap = format!("/{}", "a".repeat(2047));
        assert_eq!(ReturnTo::parse(&at_cap).unwrap().as_str(), at_cap);
        let over = format!("/{}", "a".repeat(2048));
        assert_eq!(ReturnTo::parse(&over), Err(ReturnToError::TooLong));
    }

    #[test]
    fn parse_or_root_falls_back() {
        assert_eq!(ReturnTo::parse_or_root(Some("//evil")).as_str(), "/");
        assert_eq!(ReturnTo::parse_or_root(None).as_str(), "/");
        assert_eq!(
            ReturnTo::parse_or_root(Some("/projects")).as_str(),
            "/projects"
        );
    }

    proptest! {
        /// Whatever is accepted, joined onto this site's origin the way a browser resolves a
        /// `Location` header, stays on this site.
        #[test]
        fn accepted_values_never_leave_the_site(s in "\\PC{0,40}", prefix in prop::sample::select(vec!["", "/", "//", "/\\", "/%2F", "https:", "/%09"])) {
            let candidate = format!("{prefix}{s}");
            if let Ok(rt) = ReturnTo::parse(&candidate) {
                let base = url::Url::parse("https://app.example/").unwrap();
                let joined = base.join(rt.as_str()).unwrap();
                prop_assert_eq!(joined.host_str(), Some("app.example"));
                prop_assert_eq!(joined.scheme(), "https");
            }
        }

        /// Built from the characters and pieces bypasses are made of; whatever is accepted
        /// stays on the site however a browser or a server decodes it (once, twice, or with
        /// tabs and newlines stripped as the WHATWG URL parser does).
        #[test]
        fn accepted_pieces_stay_on_site(pieces in prop::collection::vec(prop::sample::select(vec![
            "/", "//", "\\", "%2F", "%2f", "%5C", "%25", "%252F", "%09", "%0a", "%0D", "\t", "\n",
            "\r", " ", ":", "@", "?", "#", ".", "..", "evil.example", "https", "javascript", "%00",
            "\u{85}", "\u{2028}", "\u{3000}", "%E2%80%A8", "a",
        ]), 0..8)) {
            let candidate: String = pieces.concat();
            if let Ok(rt) = ReturnTo::parse(&candidate) {
                let base = url::Url::parse("https://app.example/").unwrap();
                let once = percent_decode_str(rt.as_str()).decode_utf8_lossy().into_owned();
                let twice = percent_decode_str(&once).decode_utf8_lossy().into_owned();
                for form in [rt.as_str().to_owned(), once, twice] {
                    if let Ok(joined) = base.join(&form) {
                        prop_assert_eq!(joined.host_str(), Some("app.example"), "{:?} as {:?}", candidate, form);
                    }
                    prop_assert!(!form.starts_with("//") && !form.contains('\\'), "{:?}", form);
                }
            }
        }

        /// Parsing is idempotent and survives the serde round trip through the session.
        #[test]
        fn parse_is_idempotent_and_serde_round_trips(s in "/[ -~]{0,40}") {
            if let Ok(rt) = ReturnTo::parse(&s) {
                prop_assert_eq!(ReturnTo::parse(rt.as_str()).unwrap(), rt.clone());
                let json = serde_json::to_string(&rt).unwrap();
                prop_assert_eq!(serde_json::from_str::<ReturnTo>(&json).unwrap(), rt);
            }
        }

        /// A value that is refused can never be smuggled in through deserialisation.
        #[test]
        fn refused_values_do_not_deserialize(s in "\\PC{0,30}") {
            let json = serde_json::to_string(&s).unwrap();
            prop_assert_eq!(ReturnTo::parse(&s).is_ok(), serde_json::from_str::<ReturnTo>(&json).is_ok());
        }
    }
}
