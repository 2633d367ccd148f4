use super::*;

fn identity(email: Option<&str>, verified: bool) -> Identity {
    Identity {
        issuer: "https://identity.example".into(),
        subject: "u1".into(),
        name: None,
        email: email.map(str::to_owned),
        email_verified: verified,
        email_source: if email.is_some() {
            ClaimSource::IdToken
        } else {
            ClaimSource::Nowhere
        },
        userinfo: UserinfoRead::NotAdvertised,
        claims: Vec::new(),
        sid: None,
    }
}

fn info(json: serde_json::Value) -> UserinfoClaims {
    serde_json::from_value(json).unwrap()
}

#[test]
fn claims_the_id_token_left_out_come_from_userinfo() {
    let mut id = identity(None, false);
    id.merge_userinfo(
        info(
            serde_json::json!({"sub": "u1", "given_name": "Ada", "family_name": "Lovelace",
            "email": "ada@firm.example", "email_verified": true}),
        ),
        None,
    )
    .unwrap();
    assert_eq!(id.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(id.email.as_deref(), Some("ada@firm.example"));
    assert!(id.email_verified);
    assert_eq!(id.email_source, ClaimSource::Userinfo);
    assert_eq!(id.userinfo, UserinfoRead::Read);
}

#[test]
fn the_id_token_wins_where_it_spoke() {
    // Another address at userinfo changes nothing.
    let mut id = identity(Some("ada@firm.example"), false);
    id.merge_userinfo(
        info(
            serde_json::json!({"sub": "u1", "email": "boss@firm.example", "email_verified": true}),
        ),
        None,
    )
    .unwrap();
    assert_eq!(id.email.as_deref(), Some("ada@firm.example"));
    assert!(!id.email_verified);
    // The ID token said "not verified": userinfo cannot overrule it.
    let mut id = identity(Some("ada@firm.example"), false);
    id.merge_userinfo(
        info(serde_json::json!({"sub": "u1", "email": "ada@firm.example", "email_verified": true})),
        Some(false),
    )
    .unwrap();
    assert!(!id.email_verified);
    // The ID token named the address without saying: userinfo's verification of the same one
    // counts (strings as some providers send them, too).
    let mut id = identity(Some("Ada@Firm.example"), false);
    id.merge_userinfo(
        info(
            serde_json::json!({"sub": "u1", "email": "ada@firm.example", "email_verified": "true"}),
        ),
        None,
    )
    .unwrap();
    assert!(id.email_verified);
}

#[test]
fn another_subject_is_refused() {
    let mut id = identity(None, false);
    let err = id
        .merge_userinfo(info(serde_json::json!({"sub": "u2", "email": "x@y"})), None)
        .unwrap_err();
    assert!(matches!(err, LoginError::UserinfoSubjectMismatch));
    assert_eq!(id.email, None);
}
