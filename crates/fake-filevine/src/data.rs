//! The demo world: three users, two orgs and a deterministic set of projects per org.
//!
//! Everything here is generated from fixed seeds and a fixed anchor date, so two runs (and two
//! processes) see exactly the same projects: tests can compare exports against
//! [`super::FakeControl::project_count`].

use serde_json::{json, Map, Value};
use time::{Duration as TimeDuration, OffsetDateTime};

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

fn id(native: i64) -> Value {
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
            "projectId": id(self.project_id),
            "projectTypeId": id(self.project_type_id),
            "clientId": id(self.client_id),
            "phaseId": id(self.phase_id),
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

/// splitmix64: tiny, fast and good enough for demo data.
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform-ish in `0..n` (n > 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const FIRST_NAMES: [&str; 24] = [
    "James", "Maria", "Robert", "Aisha", "Michael", "Linda", "Wei", "Patricia", "David", "Fatima",
    "Carlos", "Jennifer", "Kwame", "Elena", "Thomas", "Priya", "Daniel", "Sofia", "Hiroshi",
    "Grace", "Omar", "Chloe", "Mateo", "Hannah",
];
const LAST_NAMES: [&str; 24] = [
    "Smith",
    "Garcia",
    "Johnson",
    "Nguyen",
    "Williams",
    "Brown",
    "Chen",
    "Martinez",
    "Okoye",
    "Patel",
    "Rodriguez",
    "Kowalski",
    "Jones",
    "Silva",
    "Anderson",
    "Kim",
    "Thompson",
    "Haddad",
    "Lopez",
    "Walker",
    "Ivanova",
    "Murphy",
    "Tanaka",
    "Rossi",
];
const DEFENDANTS: [&str; 16] = [
    "Acme Trucking",
    "Globex Insurance",
    "Initech Logistics",
    "City of Springfield",
    "Umbrella Pharmaceuticals",
    "Wayne Construction",
    "Stark Rideshare",
    "Hooli Transit",
    "Vandelay Industries",
    "Soylent Foods",
    "Cyberdyne Systems",
    "Tyrell Medical Group",
    "Oceanic Airlines",
    "Gringotts Property Mgmt",
    "Dunder Mifflin Paper",
    "Wonka Confections",
];
/// (projectTypeId, type name, number prefix).
const PROJECT_TYPES: [(i64, &str, &str); 5] = [
    (11, "Personal Injury", "PI"),
    (12, "Workers' Compensation", "WC"),
    (13, "Medical Malpractice", "MM"),
    (14, "Estate Planning", "EP"),
    (15, "Premises Liability", "PL"),
];
const STAFF: [(&str, &str); 6] = [
    ("Ada Lovelace", "ada"),
    ("Ben Okafor", "ben"),
    ("Grace Hopper", "ghopper"),
    ("Thurgood Marshall", "tmarshall"),
    ("Ruth Ginsburg", "rginsburg"),
    ("Atticus Finch", "afinch"),
];
const HASHTAGS: [&str; 7] = [
    "#priority",
    "#mva",
    "#premises",
    "#slipandfall",
    "#medmal",
    "#trial",
    "#mediation",
];

/// Names that break naive CSV/HTML code: (project index, project name, client name).
/// The indices are all below 1000, so every org has every one of them.
pub const TRICKY_PROJECTS: [(usize, &str, &str); 10] = [
    (
        3,
        "Smith, Jones & Partners v. Acme Trucking",
        "Smith, Jones & Partners",
    ),
    (
        17,
        "\"Big Rig\" Carriers v. O'Neil",
        "Seamus \"Sonny\" O'Neil",
    ),
    (42, "Doe v. Roe\nAmended caption", "Jane Doe"),
    (
        77,
        "=HYPERLINK(\"https://evil.example\",\"Click me\")",
        "=1+2",
    ),
    (123, "+Plus Freight v. Doe", "+Plus Freight LLC"),
    (256, "-Minus Holdings v. Roe", "-Minus Holdings"),
    (500, "@Mention Media v. Lee", "@Mention Media"),
    (640, "Müller v. Nguyễn Logistics", "Jürgen Müller"),
    (777, "Estate of Nguyễn Văn An", "Nguyễn Thị Minh Khai"),
    (
        999,
        "<script>alert(1)</script> v. Mallory",
        "<b>Mallory</b> & Co",
    ),
];

/// The fixed "now" of the demo world: data never changes with the wall clock.
pub fn anchor() -> OffsetDateTime {
    time::macros::datetime!(2025-06-30 17:00 UTC)
}

/// Generate the projects of `org_id` (deterministic: same org and count, same projects).
pub fn generate_projects(org_id: i64, count: usize) -> Vec<Project> {
    let mut rng =
        SplitMix64::new(0x0F11_E5EE_D000_0000 ^ (org_id as u64).wrapping_mul(0x1000_0001));
    let anchor = anchor();
    let clients: Vec<(i64, String)> = (0..(count / 2).max(1))
        .map(|i| {
            let name = format!("{} {}", rng.pick(&FIRST_NAMES), rng.pick(&LAST_NAMES));
            ((org_id - 5000) * 1_000_000 + 500_000 + i as i64, name)
        })
        .collect();
    let mut next_id = (org_id - 5000) * 1_000_000 + 1000;
    let total_weight: u64 = PHASES.iter().map(|p| p.1).sum();
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        next_id += 1 + rng.below(3) as i64;
        let (type_id, type_name, prefix) = *rng.pick(&PROJECT_TYPES);
        let (client_id, client_name) = rng.pick(&clients).clone();
        let client_last = client_name.rsplit(' ').next().unwrap_or("Doe").to_owned();
        let defendant = *rng.pick(&DEFENDANTS);
        let project_name = match prefix {
            "EP" => format!("Estate of {client_name}"),
            "WC" => format!("{client_name} – Workers' Comp Claim"),
            _ => format!("{client_last} v. {defendant}"),
        };
        let mut roll = rng.below(total_weight);
        let mut phase_idx = 0;
        for (idx, (_, w)) in PHASES.iter().enumerate() {
            if roll < *w {
                phase_idx = idx;
                break;
            }
            roll -= w;
        }
        let created = anchor
            - TimeDuration::days(30 + rng.below(4 * 365) as i64)
            - TimeDuration::seconds(rng.below(86_400) as i64);
        let incident = (created - TimeDuration::days(1 + rng.below(180) as i64))
            .replace_time(time::Time::MIDNIGHT);
        let span = (anchor - created).whole_seconds().max(1) as u64;
        let phase_date = created + TimeDuration::seconds(rng.below(span) as i64);
        let span2 = (anchor - phase_date).whole_seconds().max(1) as u64;
        let last_activity = phase_date + TimeDuration::seconds(rng.below(span2) as i64);
        let is_archived = rng.below(10) == 0;
        let mut hashtags = Vec::new();
        for _ in 0..rng.below(3) {
            let tag = rng.pick(&HASHTAGS).to_string();
            if !hashtags.contains(&tag) {
                hashtags.push(tag);
            }
        }
        let (staff_name, staff_user) = *rng.pick(&STAFF);
        let mut p = Project {
            project_id: next_id,
            project_type_id: type_id,
            client_id,
            phase_id: 301 + phase_idx as i64,
            description: format!("{type_name} matter for {client_name}."),
            project_name,
            client_name,
            phase_name: PHASES[phase_idx].0,
            phase_date,
            created_date: created,
            incident_date: incident,
            last_activity,
            number: format!("{prefix}-{}-{:04}", created.year(), i + 1),
            is_archived,
            hashtags,
            first_primary_name: staff_name.to_owned(),
            first_primary_username: staff_user.to_owned(),
            org_id,
        };
        if let Some((_, name, client)) = TRICKY_PROJECTS.iter().find(|t| t.0 == i) {
            p.project_name = (*name).to_owned();
            p.client_name = (*client).to_owned();
            p.description = format!("Tricky name for export tests: {name}");
        }
        out.push(p);
    }
    out
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
    fn tricky_names_are_placed() {
        let ps = generate_projects(5002, 1000);
        for (i, name, client) in TRICKY_PROJECTS {
            assert_eq!(ps[i].project_name, name);
            assert_eq!(ps[i].client_name, client);
        }
    }
}
