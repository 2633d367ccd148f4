//! A delivery's body: JSON of the shape Filevine documents (`Event`, `Object`, `ObjectId`,
//! `ProjectId`, `UserId`, `OrgId`, `Timestamp`, `Other`), in PascalCase or camelCase, key by
//! key. Only `OrgId` is required (a delivery without it cannot be routed); the rest is read
//! leniently, since nothing documents its exact types.

use serde_json::{Map, Value};

/// The largest body accepted (413 above).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The project events the app uses: what changes a count, a phase, a report or a feed.
const PROJECT_EVENTS: &[&str] = &[
    "created",
    "updated",
    "phasechanged",
    "archived",
    "deleted",
    "undeleted",
];
/// Member changes: they change who sees which projects.
const MEMBER_EVENTS: &[&str] = &["added", "removed", "created", "deleted", "updated"];

/// What a delivery says, as far as the app uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub org_id: i64,
    pub project_id: Option<i64>,
    /// `Object.Event` as sent, cut to [`EVENT_MAX`] characters of `[A-Za-z0-9_.]`.
    pub event: String,
    /// Whether the event is one the app acts on.
    pub relevant: bool,
}

/// The longest event label kept.
pub const EVENT_MAX: usize = 80;

/// Why a body is refused (400).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("the body is not JSON")]
    NotJson,
    #[error("the body is not a JSON object")]
    NotObject,
    #[error("the body has no OrgId")]
    NoOrg,
}

impl BodyError {
    /// A closed label for logs.
    pub fn reason(self) -> &'static str {
        match self {
            Self::NotJson => "not_json",
            Self::NotObject => "not_object",
            Self::NoOrg => "no_org",
        }
    }
}

/// The member `Pascal` or its camelCase spelling.
fn member<'a>(obj: &'a Map<String, Value>, pascal: &str) -> Option<&'a Value> {
    obj.get(pascal).or_else(|| {
        let mut camel = pascal.to_owned();
        camel[..1].make_ascii_lowercase();
        obj.get(&camel)
    })
}

/// A positive id: a number, a numeric string, or an Identifier `{Native, Partner}`.
fn id_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Object(o) => member(o, "Native").and_then(id_of),
        _ => None,
    }
    .filter(|id| *id > 0)
}

fn text<'a>(obj: &'a Map<String, Value>, pascal: &str) -> &'a str {
    member(obj, pascal).and_then(Value::as_str).unwrap_or("")
}

/// Lower case without `_`, so `Project_Member`, `ProjectMember` and `projectmember` agree.
fn folded(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '_')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether `object` + `event` is one the app acts on. `event` may also carry the object
/// (`Project.PhaseChanged`).
fn relevant(object: &str, event: &str) -> bool {
    let (object, event) = match event.split_once('.') {
        Some((o, e)) if object.is_empty() => (o, e),
        _ => (object, event),
    };
    let (object, event) = (folded(object), folded(event));
    match object.as_str() {
        "project" => PROJECT_EVENTS.contains(&event.as_str()),
        "projectmember" => MEMBER_EVENTS.contains(&event.as_str()),
        _ => false,
    }
}

/// The label stored and logged for an event: only `[A-Za-z0-9_.]`, bounded.
fn label(object: &str, event: &str) -> String {
    let joined = if object.is_empty() {
        event.to_owned()
    } else {
        format!("{object}.{event}")
    };
    joined
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
        .take(EVENT_MAX)
        .collect()
}

/// Parses a delivery's body.
pub fn parse(body: &[u8]) -> Result<Delivery, BodyError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| BodyError::NotJson)?;
    let Value::Object(obj) = value else {
        return Err(BodyError::NotObject);
    };
    let org_id = member(&obj, "OrgId")
        .and_then(id_of)
        .ok_or(BodyError::NoOrg)?;
    let (object, event) = (text(&obj, "Object"), text(&obj, "Event"));
    Ok(Delivery {
        org_id,
        project_id: member(&obj, "ProjectId").and_then(id_of),
        event: label(object, event),
        relevant: relevant(object, event),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_casings_and_identifier_ids_are_read() {
        let pascal = br#"{"Event":"PhaseChanged","Object":"Project","ObjectId":{"ProjectId":7},
            "ProjectId":7,"UserId":3,"OrgId":42,"Timestamp":"2026-12-07T00:00:00Z","Other":{}}"#;
        let d = parse(pascal).unwrap();
        assert_eq!((d.org_id, d.project_id), (42, Some(7)));
        assert_eq!(d.event, "Project.PhaseChanged");
        assert!(d.relevant);
        let camel = br#"{"event":"Created","object":"Project_Member","projectId":{"native":9,"partner":null},"orgId":"42"}"#;
        let d = parse(camel).unwrap();
        assert_eq!((d.org_id, d.project_id), (42, Some(9)));
        assert!(d.relevant);
    }

    #[test]
    fn unknown_events_are_read_but_not_relevant() {
        for body in [
            r#"{"Event":"Exploded","Object":"Project","OrgId":1}"#,
            r#"{"Event":"Created","Object":"Note","OrgId":1}"#,
            r#"{"OrgId":1}"#,
        ] {
            let d = parse(body.as_bytes()).unwrap();
            assert!(!d.relevant, "{body}");
        }
        let d = parse(br#"{"Event":"Project.Archived","OrgId":1}"#).unwrap();
        assert!(d.relevant);
    }

    #[test]
    fn labels_keep_only_safe_characters() {
        let d = parse(br#"{"Event":"Up\ndated <b>","Object":"Pro ject","OrgId":1}"#).unwrap();
        assert_eq!(d.event, "Project.Updatedb");
        let long = format!(r#"{{"Event":"{}","OrgId":1}}"#, "x".repeat(500));
        assert_eq!(parse(long.as_bytes()).unwrap().event.len(), EVENT_MAX);
    }

    #[test]
    fn refusals() {
        assert_eq!(parse(b"not json"), Err(BodyError::NotJson));
        assert_eq!(parse(b"[1,2]"), Err(BodyError::NotObject));
        assert_eq!(parse(br#"{"Event":"Created"}"#), Err(BodyError::NoOrg));
        assert_eq!(parse(br#"{"OrgId":0}"#), Err(BodyError::NoOrg));
        assert_eq!(parse(br#"{"OrgId":"abc"}"#), Err(BodyError::NoOrg));
    }
}
