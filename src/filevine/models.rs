//! Gateway response shapes, as Filevine's published schema has them. The export is
//! PascalCase, the samples read camelCase: every field answers to both (a serde alias), so a
//! response is parsed once, straight from its bytes. Ids are read in every published shape
//! (`Identifier` objects `{Native, Partner}`, plain integers where the schema has those), and
//! `null` where the schema's C# models allow it (strings, lists) reads as absent or empty.
//! [`camel_case_keys`] remains for error bodies, read as loose JSON. The tests feed these
//! types answers built from the published schema alone (`fake_filevine::contract`).

use serde::{Deserialize, Serialize};

use super::lenient::{native_opt, null_is_empty};

/// The `{native, partner}` id shape the gateway uses everywhere.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FvId {
    #[serde(alias = "Native")]
    pub native: i64,
    #[serde(default, alias = "Partner")]
    pub partner: Option<String>,
}

/// `userType` from GetUserOrgsWithToken.
pub fn user_type_name(t: i64) -> &'static str {
    match t {
        0 => "Customer",
        1 => "Federated customer",
        2 => "Partner",
        3 => "Employee",
        4 => "Service account",
        _ => "Unknown",
    }
}

/// The user part of GetUserOrgsWithToken.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FvUser {
    #[serde(alias = "UserId")]
    pub user_id: FvId,
    #[serde(default, alias = "FirstName")]
    pub first_name: Option<String>,
    #[serde(default, alias = "LastName")]
    pub last_name: Option<String>,
    #[serde(default, alias = "Email")]
    pub email: Option<String>,
    #[serde(default, alias = "Username")]
    pub username: Option<String>,
    #[serde(default, alias = "UserType")]
    pub user_type: Option<i64>,
}

/// One organization from GetUserOrgsWithToken.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FvOrg {
    #[serde(alias = "OrgId")]
    pub org_id: i64,
    #[serde(default, alias = "Name")]
    pub name: Option<String>,
}

impl FvOrg {
    /// `(id, name)`, with a readable name when the gateway sends none.
    pub fn into_id_and_name(self) -> (i64, String) {
        let name = self
            .name
            .unwrap_or_else(|| format!("Organization {}", self.org_id));
        (self.org_id, name)
    }
}

/// `POST /fv-app/v2/utils/GetUserOrgsWithToken`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserOrgs {
    #[serde(alias = "User")]
    pub user: FvUser,
    #[serde(default, alias = "Orgs", deserialize_with = "null_is_empty")]
    pub orgs: Vec<FvOrg>,
}

/// The nested user of `Users/Me` (the published `User`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeUser {
    #[serde(default, alias = "FirstName")]
    pub first_name: Option<String>,
    #[serde(default, alias = "LastName")]
    pub last_name: Option<String>,
    #[serde(default, alias = "Email")]
    pub email: Option<String>,
}

/// The org user's rights in the org (`Permissions` of `Users/Me`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Permissions {
    /// The user's access level in the org, as Filevine names it.
    #[serde(default, alias = "AccessLevel")]
    pub access_level: Option<String>,
}

/// `GET /fv-app/v2/Users/Me`: the org user.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgUser {
    /// `OrgUserId.Native`: published as an `Identifier`; a bare integer reads too.
    #[serde(default, alias = "OrgUserId", deserialize_with = "native_opt")]
    pub org_user_id: Option<i64>,
    #[serde(default, alias = "UserName")]
    pub user_name: Option<String>,
    #[serde(default, alias = "Email")]
    pub email: Option<String>,
    #[serde(default, alias = "User")]
    pub user: Option<MeUser>,
    #[serde(default, alias = "Permissions")]
    pub permissions: Option<Permissions>,
}

impl OrgUser {
    /// The access level, when Filevine said.
    pub fn access_level(&self) -> Option<&str> {
        self.permissions.as_ref()?.access_level.as_deref()
    }
}

/// One project type of `GET /fv-app/v2/ProjectTypes`: what a project's `projectTypeId` names.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ProjectType {
    #[serde(alias = "ProjectTypeId")]
    pub project_type_id: FvId,
    #[serde(default, alias = "Name")]
    pub name: Option<String>,
}

/// One page of `GET /fv-app/v2/ProjectTypes`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectTypePage {
    #[serde(default, alias = "Items", deserialize_with = "types_with_ids")]
    pub items: Vec<ProjectType>,
    #[serde(default, alias = "HasMore")]
    pub has_more: bool,
}

/// The page's project types that carry a readable id. The schema requires no `ProjectTypeId`
/// (nor its `Native`), and a type without one names nothing a project could point at: it is
/// left out rather than failing the page, so the other types still name their projects. (A
/// page is at most 1,000 small items, so trying each as a type costs little.)
fn types_with_ids<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<ProjectType>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Item {
        Type(ProjectType),
        Unnamed(serde::de::IgnoredAny),
    }
    let items: Vec<Item> = null_is_empty(d)?;
    Ok(items
        .into_iter()
        .filter_map(|i| match i {
            Item::Type(t) => Some(t),
            Item::Unnamed(_) => None,
        })
        .collect())
}

/// Rewrites every object key's first letter to lower case, recursively, so PascalCase and
/// camelCase payloads parse into the same structs.
pub fn camel_case_keys(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let mut chars = k.chars();
                    let key = match chars.next() {
                        Some(first) if first.is_ascii_uppercase() => {
                            first.to_ascii_lowercase().to_string() + chars.as_str()
                        }
                        _ => k,
                    };
                    (key, camel_case_keys(v))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(camel_case_keys).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pascal_and_camel_parse_alike() {
        let camel = serde_json::json!({"user": {"userId": {"native": 7}, "firstName": "Ada", "userType": 4}, "orgs": [{"orgId": 5, "name": "X"}]});
        let pascal = serde_json::json!({"User": {"UserId": {"Native": 7}, "FirstName": "Ada", "UserType": 4}, "Orgs": [{"OrgId": 5, "Name": "X"}]});
        let a: UserOrgs = serde_json::from_value(camel).unwrap();
        let b: UserOrgs = serde_json::from_value(pascal).unwrap();
        assert_eq!(a.user.user_id.native, 7);
        assert_eq!(b.user.user_id.native, 7);
        assert_eq!(b.user.first_name.as_deref(), Some("Ada"));
        assert_eq!(b.orgs[0].org_id, 5);
        assert_eq!(user_type_name(b.user.user_type.unwrap()), "Service account");
    }

    #[test]
    fn a_project_type_without_an_id_is_left_out_and_the_rest_still_read() {
        let page = serde_json::json!({"Items": [
            {"ProjectTypeId": {"Partner": "only-a-partner-id"}, "Name": "Unnamed"},
            {"ProjectTypeId": null, "Name": "Null id"},
            {"ProjectTypeId": {"Native": 12, "Partner": "PI-1"}, "Name": "Personal Injury"}
        ], "HasMore": false});
        let page: ProjectTypePage = serde_json::from_value(page).unwrap();
        assert_eq!(page.items.len(), 1, "{page:?}");
        assert_eq!(page.items[0].project_type_id.native, 12);
        assert_eq!(
            page.items[0].project_type_id.partner.as_deref(),
            Some("PI-1")
        );
        assert_eq!(page.items[0].name.as_deref(), Some("Personal Injury"));
    }
}
