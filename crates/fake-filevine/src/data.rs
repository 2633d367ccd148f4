//! The demo world: three users, two orgs and a deterministic set of projects per org.
//!
//! Everything here is generated from fixed seeds and a fixed anchor date, so two runs (and two
//! processes) see exactly the same projects: tests can compare exports against
//! [`super::FakeControl::project_count`].

use serde_json::{json, Map, Value};
use time::OffsetDateTime;

pub use super::generate::{
    anchor, generate_projects, generate_projects_at, generate_projects_with, HOSTILE_PROJECTS,
    PROJECT_TYPES, TRICKY_PROJECTS,
};

/// An org a demo user belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoOrg {
    pub org_id: i64,
    pub name: &'static str,
}

/// A demo user: what the login page offers and what the gateway answers for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoUser {
    /// The OpenID `sub`.
    pub sub: &'static str,
    /// The gateway's native user id (`x-fv-userid`).
    pub user_id: i64,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub email: &'static str,
    pub username: &'static str,
    /// 0 Customer, 1 FederatedCustomer, 2 Partner, 3 Employee, 4 ServiceAccount.
    pub user_type: u8,
    /// The first one is the primary org.
    pub orgs: &'static [DemoOrg],
    /// `Permissions.AccessLevel` at `Users/Me`: the user's access level in their orgs.
    pub access_level: &'static str,
}

impl DemoUser {
    /// "First Last".
    pub fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }

    /// The org user id the gateway reports at `Users/Me` for this user in `org_id`.
    pub fn org_user_id(&self, org_id: i64) -> i64 {
        self.user_id * 10 + (org_id % 10)
    }

    /// Whether the user belongs to `org_id`.
    pub fn in_org(&self, org_id: i64) -> bool {
        self.orgs.iter().any(|o| o.org_id == org_id)
    }
}

/// "Lovelace & Partners LLP".
pub const ORG_LOVELACE: DemoOrg = DemoOrg {
    org_id: 5001,
    name: "Lovelace & Partners LLP",
};
/// "Okafor Injury Law".
pub const ORG_OKAFOR: DemoOrg = DemoOrg {
    org_id: 5002,
    name: "Okafor Injury Law",
};

/// Ada Lovelace: a customer user in one org.
pub const ADA: DemoUser = DemoUser {
    sub: "fv-user-1001",
    user_id: 1001,
    first_name: "Ada",
    last_name: "Lovelace",
    email: "ada@lovelace-law.example",
    username: "ada",
    user_type: 0,
    orgs: &[ORG_LOVELACE],
    access_level: "Admin",
};
/// Ben Okafor: a customer user in two orgs (the org picker case).
pub const BEN: DemoUser = DemoUser {
    sub: "fv-user-1002",
    user_id: 1002,
    first_name: "Ben",
    last_name: "Okafor",
    email: "ben@okafor-injury.example",
    username: "ben",
    user_type: 0,
    orgs: &[ORG_LOVELACE, ORG_OKAFOR],
    access_level: "Member",
};
/// The reporting bot: a service account; [`super::DEMO_PAT`] belongs to it.
pub const REPORTING_BOT: DemoUser = DemoUser {
    sub: "fv-user-1003",
    user_id: 1003,
    first_name: "Reporting",
    last_name: "Bot",
    email: "reporting-bot@lovelace-law.example",
    username: "reporting-bot",
    user_type: 4,
    orgs: &[ORG_LOVELACE],
    access_level: "Admin",
};

/// All demo users, in the order the login page shows them.
pub const DEMO_USERS: [DemoUser; 3] = [ADA, BEN, REPORTING_BOT];

/// All orgs that have projects.
pub const DEMO_ORGS: [DemoOrg; 2] = [ORG_LOVELACE, ORG_OKAFOR];

/// The user with this `sub`.
pub fn user_by_sub(sub: &str) -> Option<&'static DemoUser> {
    DEMO_USERS.iter().find(|u| u.sub == sub)
}

/// The user with this email (case-insensitive).
pub fn user_by_email(email: &str) -> Option<&'static DemoUser> {
    DEMO_USERS
        .iter()
        .find(|u| u.email.eq_ignore_ascii_case(email))
}

/// The phases projects move through, with how common each one is (weights sum to 100).
pub const PHASES: [(&str, u64); 8] = [
    ("Intake", 9),
    ("Investigation", 12),
    ("Treatment", 19),
    ("Demand", 11),
    ("Negotiation", 14),
    ("Litigation", 17),
    ("Settled", 10),
    ("Closed", 8),
];

/// One project, typed. [`Project::to_json`] gives the gateway's camelCase shape.
#[derive(Clone, Debug)]
pub struct Project {
    pub project_id: i64,
    pub project_type_id: i64,
    pub client_id: i64,
    pub phase_id: i64,
    pub project_name: String,
    pub client_name: String,
    pub phase_name: &'static str,
    pub phase_date: OffsetDateTime,
    pub created_date: OffsetDateTime,
    pub incident_date: OffsetDateTime,
    pub last_activity: OffsetDateTime,
    pub number: String,
    pub description: String,
    pub is_archived: bool,
    pub hashtags: Vec<String>,
    pub first_primary_name: String,
    pub first_primary_username: String,
    pub org_id: i64,
}

/// An `Identifier` (`{native, partner}`); the demo has no partner ids.
pub(crate) fn identifier(native: i64) -> Value {
    json!({ "native": native, "partner": null })
}

/// ISO 8601 (RFC 3339) UTC timestamp.
pub fn iso(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl Project {
    /// The gateway's camelCase JSON of this project.
    pub fn to_json(&self) -> Map<String, Value> {
        let v = json!({
            "projectId": identifier(self.project_id),
            "projectTypeId": identifier(self.project_type_id),
            "clientId": identifier(self.client_id),
            "phaseId": identifier(self.phase_id),
            "projectName": self.project_name,
            "projectOrClientName": self.project_name,
            "clientName": self.client_name,
            "phaseName": self.phase_name,
            "phaseDate": iso(self.phase_date),
            "createdDate": iso(self.created_date),
            "incidentDate": iso(self.incident_date),
            "lastActivity": iso(self.last_activity),
            "number": self.number,
            "description": self.description,
            "isArchived": self.is_archived,
            "hashtags": self.hashtags,
            "firstPrimaryName": self.first_primary_name,
            "firstPrimaryUsername": self.first_primary_username,
            "projectUrl": format!("https://app.filevine.com/#/project/{}", self.project_id),
            "orgId": self.org_id,
            "links": { "self": format!("/fv-app/v2/Projects/{}", self.project_id) },
        });
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_ids_unique() {
        let a = generate_projects(5001, 1200);
        let b = generate_projects(5001, 1200);
        assert_eq!(a.len(), 1200);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.project_id, y.project_id);
            assert_eq!(x.project_name, y.project_name);
            assert_eq!(x.created_date, y.created_date);
        }
        assert!(a.windows(2).all(|w| w[0].project_id < w[1].project_id));
        let other = generate_projects(5002, 1200);
        assert!(
            other[0].project_id > a[a.len() - 1].project_id,
            "ids never collide across orgs"
        );
    }

    #[test]
    fn phases_are_uneven_and_dates_consistent() {
        let ps = generate_projects(5001, 2000);
        let count = |name: &str| ps.iter().filter(|p| p.phase_name == name).count();
        assert!(count("Treatment") > 2 * count("Closed"));
        for p in &ps {
            assert!(p.incident_date <= p.created_date);
            assert!(p.created_date <= p.phase_date && p.phase_date <= p.last_activity);
            assert!(p.last_activity <= anchor());
        }
    }

    #[test]
    fn without_hostile_names_the_firm_reads_like_a_firm() {
        let ps = generate_projects_with(5001, 1000, anchor(), false);
        for p in &ps {
            for text in [&p.project_name, &p.client_name] {
                assert!(
                    !text.contains(['<', '>', '\n']) && !text.starts_with(['=', '+', '-', '@']),
                    "{text:?}"
                );
            }
        }
        // The friendly tricky names (commas, quotes, accents) stay.
        assert_eq!(ps[640].project_name, "Müller v. Nguyễn Logistics");
    }

    #[test]
    fn tricky_names_are_placed() {
        let ps = generate_projects(5002, 1000);
        for (i, name, client) in TRICKY_PROJECTS {
            assert_eq!(ps[i].project_name, name);
            assert_eq!(ps[i].client_name, client);
        }
    }
}
