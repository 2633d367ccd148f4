//! The models read Filevine's published answers, not the stand-in's: every answer here is built
//! from the published schema alone (`fake_filevine::contract`, transcribed from Filevine's
//! export), in both casings, and then bent the ways the schema allows (unknown extra fields,
//! nulls where the C# models allow them, optional fields left out, `Partner` ids as strings).

use fake_filevine::contract::{get_ci, Casing, Contract, Schema};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::models::{OrgUser, ProjectTypePage, UserOrgs};
use super::projects::{Project, ProjectPage};

fn schema_of(method: &str, path: &str) -> &'static Schema {
    Contract::published()
        .operation(method, path)
        .and_then(|op| op.response.as_ref())
        .unwrap_or_else(|| panic!("{method} {path} is published with an answer"))
}

/// The answer of `method path` from the schema, in `casing`, read as `T`.
fn read<T: DeserializeOwned>(method: &str, path: &str, casing: Casing) -> (Value, T) {
    let example = Contract::published().example(schema_of(method, path), casing);
    let parsed = serde_json::from_value(example.clone())
        .unwrap_or_else(|e| panic!("{path} in {casing:?}: {e}\n{example:#}"));
    (example, parsed)
}

/// `value.a.b.c` without regard to case.
fn at<'a>(value: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(value, |v, k| match v {
        Value::Array(items) => get_ci(&items[0], k).unwrap_or(&Value::Null),
        _ => get_ci(v, k).unwrap_or(&Value::Null),
    })
}

const BOTH: [Casing; 2] = [Casing::Camel, Casing::Pascal];

#[test]
fn get_user_orgs_with_token_reads_in_both_casings() {
    for casing in BOTH {
        let (v, orgs): (_, UserOrgs) =
            read("POST", "/fv-app/v2/utils/GetUserOrgsWithToken", casing);
        assert_eq!(
            Some(orgs.user.user_id.native),
            at(&v, &["User", "UserId", "Native"]).as_i64()
        );
        assert_eq!(
            orgs.user.email.as_deref(),
            at(&v, &["User", "Email"]).as_str()
        );
        assert_eq!(orgs.user.user_type, at(&v, &["User", "UserType"]).as_i64());
        assert_eq!(
            Some(orgs.orgs[0].org_id),
            at(&v, &["Orgs", "OrgId"]).as_i64()
        );
        assert_eq!(
            orgs.orgs[0].name.as_deref(),
            at(&v, &["Orgs", "Name"]).as_str()
        );
    }
}

#[test]
fn users_me_reads_the_org_user_identifier_and_access_level() {
    for casing in BOTH {
        let (v, me): (_, OrgUser) = read("GET", "/fv-app/v2/Users/Me", casing);
        assert_eq!(me.org_user_id, at(&v, &["OrgUserId", "Native"]).as_i64());
        assert!(me.org_user_id.is_some());
        assert_eq!(
            me.access_level(),
            at(&v, &["Permissions", "AccessLevel"]).as_str()
        );
        assert_eq!(me.email.as_deref(), at(&v, &["Email"]).as_str());
    }
}

#[test]
fn projects_list_and_one_project_read_in_both_casings() {
    for casing in BOTH {
        let (v, page): (_, ProjectPage) = read("GET", "/fv-app/v2/Projects", casing);
        assert_eq!(page.has_more, at(&v, &["HasMore"]).as_bool().unwrap());
        let p = &page.items[0];
        assert_eq!(
            p.project_id.map(|id| id.get()),
            at(&v, &["Items", "ProjectId", "Native"]).as_i64()
        );
        assert_eq!(p.phase_id, at(&v, &["Items", "PhaseId", "Native"]).as_i64());
        assert_eq!(
            p.project_type_id,
            at(&v, &["Items", "ProjectTypeId", "Native"]).as_i64()
        );
        assert_eq!(
            p.phase_name.as_deref(),
            at(&v, &["Items", "PhaseName"]).as_str()
        );
        assert_eq!(p.hashtags.len(), 1);
        let (v, one): (_, Project) = read("GET", "/fv-app/v2/Projects/{projectId}", casing);
        assert_eq!(
            one.project_id.map(|id| id.get()),
            at(&v, &["ProjectId", "Native"]).as_i64()
        );
        assert_eq!(one.org_id, at(&v, &["OrgId"]).as_i64());
    }
}

#[test]
fn project_types_read_in_both_casings() {
    for casing in BOTH {
        let (v, types): (_, ProjectTypePage) = read("GET", "/fv-app/v2/ProjectTypes", casing);
        let t = &types.items[0];
        assert_eq!(
            Some(t.project_type_id.native),
            at(&v, &["Items", "ProjectTypeId", "Native"]).as_i64()
        );
        assert_eq!(t.name.as_deref(), at(&v, &["Items", "Name"]).as_str());
    }
}

/// Every way the schema lets an answer differ from the full example, each with the path it
/// bends (`Items.ProjectId.Native`, without regard to case): unknown extra fields in every
/// object, `Partner` ids as strings, and, one at a time at every depth, a field left out and a
/// string, list or object field `null` (the C# models behind the export allow it; integers
/// and booleans never are).
fn bends(example: &Value) -> Vec<(String, Value)> {
    fn walk(v: &mut Value, f: &dyn Fn(&mut serde_json::Map<String, Value>)) {
        match v {
            Value::Object(m) => {
                // Children first, so what `f` adds is not walked again.
                m.values_mut().for_each(|c| walk(c, f));
                f(m);
            }
            Value::Array(items) => items.iter_mut().for_each(|c| walk(c, f)),
            _ => {}
        }
    }
    /// The key paths of every field below `v` (array items are walked as their first).
    fn fields(v: &Value, at: &[String], out: &mut Vec<Vec<String>>) {
        match v {
            Value::Object(m) => {
                for (k, c) in m {
                    let mut path = at.to_vec();
                    path.push(k.clone());
                    out.push(path.clone());
                    fields(c, &path, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|c| fields(c, at, out)),
            _ => {}
        }
    }
    /// Applies `f` to the parent object of `path` and the field's name, in every array item.
    fn at_parent(
        v: &mut Value,
        path: &[String],
        f: &dyn Fn(&mut serde_json::Map<String, Value>, &str),
    ) {
        match (v, path) {
            (Value::Array(items), _) => items.iter_mut().for_each(|c| at_parent(c, path, f)),
            (Value::Object(m), [last]) => f(m, last),
            (Value::Object(m), [first, rest @ ..]) => {
                if let Some(c) = m.get_mut(first) {
                    at_parent(c, rest, f);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    let mut extra = example.clone();
    walk(&mut extra, &|m| {
        m.insert(
            "SomethingNew".into(),
            serde_json::json!({"Nested": [1, "x"]}),
        );
    });
    out.push(("unknown extra fields".to_owned(), extra));
    let mut partner = example.clone();
    walk(&mut partner, &|m| {
        if let Some(p) = m
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case("partner"))
        {
            *p.1 = Value::String("P-77".into());
        }
    });
    out.push(("Partner ids as strings".to_owned(), partner));
    let mut paths = Vec::new();
    fields(example, &[], &mut paths);
    paths.dedup();
    for path in paths {
        let name = path.join(".");
        let mut fewer = example.clone();
        at_parent(&mut fewer, &path, &|m, k| {
            m.remove(k);
        });
        out.push((format!("without {name}"), fewer));
        let mut null = example.clone();
        at_parent(&mut null, &path, &|m, k| {
            if let Some(v) = m.get_mut(k) {
                if matches!(v, Value::String(_) | Value::Array(_) | Value::Object(_)) {
                    *v = Value::Null;
                }
            }
        });
        if null != *example {
            out.push((format!("null {name}"), null));
        }
    }
    out
}

/// `T` reads `method path`'s answer bent every way [`bends`] knows, except those that take
/// away one of `required` (field paths the app cannot do without, as `User.UserId`).
fn reads_bent<T: DeserializeOwned>(method: &str, path: &str, required: &[&str]) {
    let mut failed = Vec::new();
    for casing in BOTH {
        let example = Contract::published().example(schema_of(method, path), casing);
        for (how, bent) in bends(&example) {
            let bent_path = how.split_once(' ').map_or("", |(_, p)| p);
            if required.iter().any(|r| bent_path.eq_ignore_ascii_case(r)) {
                continue;
            }
            if let Err(e) = serde_json::from_value::<T>(bent) {
                failed.push(format!("{path} ({casing:?}, {how}): {e}"));
            }
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}

#[test]
fn answers_bent_as_the_schema_allows_still_read() {
    // Who the token is and the ids of their orgs are what the tenant headers of every other
    // call are made of: without them there is nothing to sign in to.
    reads_bent::<UserOrgs>(
        "POST",
        "/fv-app/v2/utils/GetUserOrgsWithToken",
        &["User", "User.UserId", "User.UserId.Native", "Orgs.OrgId"],
    );
    reads_bent::<OrgUser>("GET", "/fv-app/v2/Users/Me", &[]);
    reads_bent::<ProjectPage>("GET", "/fv-app/v2/Projects", &[]);
    reads_bent::<Project>("GET", "/fv-app/v2/Projects/{projectId}", &[]);
    reads_bent::<ProjectTypePage>("GET", "/fv-app/v2/ProjectTypes", &[]);
    use super::webhooks::{WebhookEvent, WebhookSubscription};
    // Published as required, and enums (C# value types) are never null.
    reads_bent::<Vec<WebhookEvent>>(
        "GET",
        "/fv-app/v2/webhooks/Events",
        &["ObjectType", "EventType"],
    );
    // `Id` is published as required, and a C# Guid is never null.
    reads_bent::<Vec<WebhookSubscription>>("GET", "/fv-app/v2/webhooks/subscriptions", &["Id"]);
    for (method, path) in [
        ("POST", "/fv-app/v2/webhooks/subscription"),
        ("GET", "/fv-app/v2/webhooks/subscription/{subscriptionId}"),
        ("PUT", "/fv-app/v2/webhooks/subscription/{subscriptionId}"),
    ] {
        reads_bent::<WebhookSubscription>(method, path, &["Id"]);
    }
    reads_bent::<bool>(
        "DELETE",
        "/fv-app/v2/webhooks/subscription/{subscriptionId}",
        &[],
    );
}

#[test]
fn the_webhook_answers_read_in_both_casings() {
    use super::webhooks::{SubscriptionRequest, WebhookEvent, WebhookSubscription};
    for casing in BOTH {
        let (v, events): (_, Vec<WebhookEvent>) = read("GET", "/fv-app/v2/webhooks/Events", casing);
        assert_eq!(events[0].id.as_deref(), at(&v, &["Id"]).as_str());
        assert_eq!(
            events[0].object_type,
            at(&v, &["ObjectType"]).as_str().unwrap()
        );
        assert_eq!(
            events[0].event_type,
            at(&v, &["EventType"]).as_str().unwrap()
        );
        for (method, path) in [
            ("POST", "/fv-app/v2/webhooks/subscription"),
            ("GET", "/fv-app/v2/webhooks/subscription/{subscriptionId}"),
            ("PUT", "/fv-app/v2/webhooks/subscription/{subscriptionId}"),
        ] {
            let (v, s): (_, WebhookSubscription) = read(method, path, casing);
            assert_eq!(Some(s.id.as_str()), at(&v, &["Id"]).as_str(), "{path}");
            assert_eq!(s.endpoint.as_deref(), at(&v, &["Endpoint"]).as_str());
            assert_eq!(
                Some(s.event_ids[0].as_str()),
                at(&v, &["EventIds"])[0].as_str()
            );
        }
    }
    // What the app sends is the published request, field for field.
    let request = serde_json::to_value(SubscriptionRequest {
        name: "n".into(),
        description: "d".into(),
        event_ids: vec!["1".into()],
        endpoint: "https://app.example/webhooks/filevine".into(),
    })
    .unwrap();
    let c = Contract::published();
    for definition in [
        "CreateWebhookSubscriptionRequest",
        "UpdateWebhookSubscriptionRequest",
    ] {
        let problems = c.validate(c.definition(definition).unwrap(), &request);
        assert!(problems.is_empty(), "{problems:?}");
    }
}
