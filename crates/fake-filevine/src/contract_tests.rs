use serde_json::json;

use super::*;

fn c() -> &'static Contract {
    Contract::published()
}

fn def(name: &str) -> Schema {
    Schema {
        reference: Some(name.to_owned()),
        ..Default::default()
    }
}

#[test]
fn every_reference_of_the_fixture_is_defined() {
    fn refs<'a>(s: &'a Schema, out: &mut Vec<&'a str>) {
        out.extend(s.reference.as_deref());
        if let Some(i) = &s.items {
            refs(i, out);
        }
        for p in s.properties.iter().flat_map(|p| p.values()) {
            refs(p, out);
        }
    }
    let mut all = Vec::new();
    for op in &c().operations {
        for s in op.response.iter().chain(op.body.iter()) {
            refs(s, &mut all);
        }
    }
    for s in c().definitions.values() {
        refs(s, &mut all);
    }
    for name in all {
        assert!(
            c().definition(name).is_some(),
            "{name} is referenced, not defined"
        );
    }
}

#[test]
fn paths_match_with_their_published_casing_only() {
    assert_eq!(
        c().operation("GET", "/fv-app/v2/Users/Me")
            .map(|o| o.id.as_str()),
        Some("get-current-user")
    );
    assert!(c().operation("GET", "/fv-app/v2/users/me").is_none());
    assert!(c().operation("GET", "/fv-app/v2/projects").is_none());
    assert_eq!(
        c().operation("GET", "/fv-app/v2/Projects/77")
            .map(|o| o.id.as_str()),
        Some("get-project")
    );
    assert!(c().operation("GET", "/fv-app/v2/Projects/").is_none());
    assert!(c().operation("POST", "/fv-app/v2/Users/Me").is_none());
}

#[test]
fn requests_outside_the_contract_are_named() {
    let tenant = |h: &str| match h {
        "x-fv-orgid" => Some("5001"),
        "x-fv-userid" => Some("1001"),
        _ => None,
    };
    let q = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    let projects = "/fv-app/v2/Projects";
    assert!(c()
        .check_request(
            "GET",
            projects,
            &q(&[("limit", "50"), ("SORTBY", "projectName")]),
            tenant
        )
        .is_ok());
    let err = c()
        .check_request("GET", projects, &q(&[("cursor", "x")]), tenant)
        .unwrap_err();
    assert!(err.contains("`cursor`"), "{err}");
    assert!(c()
        .check_request("GET", projects, &q(&[("limit", "many")]), tenant)
        .unwrap_err()
        .contains("integer"));
    assert!(c()
        .check_request("GET", projects, &q(&[("excludeArchived", "1")]), tenant)
        .is_err());
    // `limit` is published from 0 to 1000, `offset` from 0, both `int32`.
    for (name, value) in [("limit", "1000"), ("limit", "0"), ("offset", "2000000")] {
        assert!(c()
            .check_request("GET", projects, &q(&[(name, value)]), tenant)
            .is_ok());
    }
    for (name, value) in [
        ("limit", "1001"),
        ("offset", "-1"),
        ("offset", "3000000000"),
    ] {
        let err = c()
            .check_request("GET", projects, &q(&[(name, value)]), tenant)
            .unwrap_err();
        assert!(err.contains(&format!("`{name}`")), "{err}");
    }
    let err = c()
        .check_request("GET", "/fv-app/v2/Users/Me", &[], |_| None)
        .unwrap_err();
    assert!(err.contains("x-fv-"), "{err}");
    // GetUserOrgsWithToken is the one call without tenant headers.
    assert!(c()
        .check_request("POST", "/fv-app/v2/utils/GetUserOrgsWithToken", &[], |_| {
            None
        })
        .is_ok());
}

#[test]
fn validation_finds_wrong_types_invented_fields_and_bad_nulls() {
    let ok =
        json!({"orgUserId": {"native": 7, "partner": null}, "userName": null, "isActive": true});
    assert_eq!(c().validate(&def("OrgUser"), &ok), Vec::<String>::new());
    let plain_id = json!({"OrgUserId": 7});
    assert!(c().validate(&def("OrgUser"), &plain_id)[0].contains("OrgUserId"));
    let invented = json!({"orgUserId": {"native": 7}, "orgId": 5001});
    assert!(c().validate(&def("OrgUser"), &invented)[0].contains("not a published field"));
    let null_bool = json!({"isActive": null});
    assert!(!c().validate(&def("OrgUser"), &null_bool).is_empty());
    let big = json!({"OrgUserId": {"Native": 4_000_000_000i64}});
    assert!(!c().validate(&def("OrgUser"), &big).is_empty());
    let bad_date = json!({"createdDateTime": "yesterday"});
    assert!(c().validate(&def("OrgUser"), &bad_date)[0].contains("date-time"));
    // Org requires PdfEditEnabled.
    let org = json!({"orgId": 1, "name": "X"});
    assert!(c().validate(&def("Org"), &org)[0].contains("PdfEditEnabled"));
    let user_type = json!({"userType": 9});
    assert!(!c().validate(&def("User"), &user_type).is_empty());
    // An enum is a C# value type: never null.
    let null_enum = json!({"objectType": null, "eventType": "Created"});
    assert!(c().validate(&def("ApiSubscriptionEventDto"), &null_enum)[0].contains("ObjectType"));
    // `Links` is published as a map of strings: any key, string values (or null).
    let links = json!({"links": {"self": "/fv-app/v2/Users/Me", "next": null}});
    assert_eq!(c().validate(&def("OrgUser"), &links), Vec::<String>::new());
    let nested = json!({"links": {"self": {"href": "/fv-app/v2/Users/Me"}}});
    assert!(c().validate(&def("OrgUser"), &nested)[0].contains("$.Links.self"));
}

#[test]
fn examples_conform_in_both_casings() {
    for op in &c().operations {
        let Some(schema) = &op.response else { continue };
        for casing in [Casing::Camel, Casing::Pascal] {
            let v = c().example(schema, casing);
            assert_eq!(
                c().validate(schema, &v),
                Vec::<String>::new(),
                "{} {casing:?}",
                op.id
            );
        }
    }
    let me = c().example(&def("OrgUser"), Casing::Camel);
    assert!(me["orgUserId"]["native"].is_i64());
    let pascal = c().example(&def("OrgUser"), Casing::Pascal);
    assert!(pascal["OrgUserId"]["Native"].is_i64());
}

#[test]
fn casing_follows_the_samples_and_the_export() {
    assert_eq!(Casing::Camel.key("OrgUserId"), "orgUserId");
    assert_eq!(Casing::Camel.key("LastID"), "lastID");
    assert_eq!(Casing::Camel.key("ID"), "id");
    assert_eq!(Casing::Pascal.key("hasMore"), "HasMore");
    assert_eq!(
        get_ci(&json!({"HasMore": true}), "hasmore"),
        Some(&json!(true))
    );
}
