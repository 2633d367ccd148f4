//! Who is calling, as the gateway answers it: `GetUserOrgsWithToken` (the token's user and
//! orgs) and `Users/Me` (the org user), in the published `UserOrgs` and `OrgUser` shapes:
//! Identifier objects for user and org-user ids, a plain integer for `OrgId`, nothing the
//! schema does not list.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::data::{identifier, DemoOrg, DemoUser};
use super::gateway::Caller;
use super::state::Shared;

/// The published `User`.
fn user(u: &DemoUser) -> Value {
    json!({
        "userId": identifier(u.user_id),
        "firstName": u.first_name,
        "lastName": u.last_name,
        "email": u.email,
        "username": u.username,
        "userType": u.user_type,
    })
}

/// The published `Org` (its `PdfEditEnabled` is required by the schema).
fn org(o: &DemoOrg) -> Value {
    json!({
        "orgId": o.org_id,
        "name": o.name,
        "pdfEditEnabled": false,
        "tenant": {
            "id": format!("00000000-0000-4000-8000-{:012}", o.org_id),
            "hostNameAsUrl": format!("https://org{}.filevine.example", o.org_id),
        },
    })
}

/// `POST /fv-app/v2/utils/GetUserOrgsWithToken`.
pub(crate) async fn user_orgs(State(shared): State<Arc<Shared>>, caller: Caller) -> Response {
    let u = caller.user;
    let body = json!({
        "user": user(u),
        "orgs": u.orgs.iter().map(org).collect::<Vec<_>>(),
    });
    Json(shared.wire.cased(body)).into_response()
}

/// `GET /fv-app/v2/Users/Me`.
pub(crate) async fn users_me(State(shared): State<Arc<Shared>>, caller: Caller) -> Response {
    let u = caller.user;
    let this_org = u.orgs.iter().find(|o| o.org_id == caller.org_id);
    let body = json!({
        "orgUserId": identifier(u.org_user_id(caller.org_id)),
        "userName": u.username,
        "isActive": true,
        "createdDateTime": "2021-04-12T15:04:05Z",
        "email": u.email,
        "org": this_org.map(org),
        "user": user(u),
        "permissions": {
            "accessLevel": u.access_level,
            "autoAddToNewProject": false,
            "autoFollowNewProject": false,
            "accessOrgInBox": u.access_level == "Admin",
            "autoAccessLevelOnNewProject": "Collaborator",
        },
    });
    Json(shared.wire.cased(body)).into_response()
}
