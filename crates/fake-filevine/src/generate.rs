//! The demo data set: deterministic projects per organization (names, clients, phases,
//! dates spread over years, hashtags, a few tricky names for escaping and CSV tests), from a
//! seeded generator so every run and every test sees the same firm.

use time::{Duration as TimeDuration, OffsetDateTime};

use super::data::{Project, PHASES};

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
/// `(projectTypeId, name, number prefix)` of the demo project types (`GET ProjectTypes`).
pub const PROJECT_TYPES: [(i64, &str, &str); 5] = [
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

/// The [`TRICKY_PROJECTS`] indices whose names attack (a formula, markup, a caption with a
/// line break): kept for the tests that prove them harmless, left out of what a demo visitor
/// sees ([`super::FakeOptions::hostile_names`]). Commas, quotes and accents stay: real firms
/// have those.
pub const HOSTILE_PROJECTS: [usize; 6] = [42, 77, 123, 256, 500, 999];

/// The fixed "now" of the demo world: data never changes with the wall clock.
pub fn anchor() -> OffsetDateTime {
    time::macros::datetime!(2025-06-30 17:00 UTC)
}

/// Generate the projects of `org_id` (deterministic: same org and count, same projects).
pub fn generate_projects(org_id: i64, count: usize) -> Vec<Project> {
    generate_projects_at(org_id, count, anchor())
}

/// [`generate_projects`] with dates counted back from `anchor` instead of the fixed one.
pub fn generate_projects_at(org_id: i64, count: usize, anchor: OffsetDateTime) -> Vec<Project> {
    generate_projects_with(org_id, count, anchor, true)
}

/// [`generate_projects_at`], with the [`HOSTILE_PROJECTS`] names only when `hostile`.
pub fn generate_projects_with(
    org_id: i64,
    count: usize,
    anchor: OffsetDateTime,
    hostile: bool,
) -> Vec<Project> {
    let mut rng =
        SplitMix64::new(0x0F11_E5EE_D000_0000 ^ (org_id as u64).wrapping_mul(0x1000_0001));
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
        let tricky = TRICKY_PROJECTS.iter().find(|t| t.0 == i);
        if let Some((_, name, client)) =
            tricky.filter(|t| hostile || !HOSTILE_PROJECTS.contains(&t.0))
        {
            p.project_name = (*name).to_owned();
            p.client_name = (*client).to_owned();
            p.description = format!("Tricky name for export tests: {name}");
        }
        out.push(p);
    }
    out
}
