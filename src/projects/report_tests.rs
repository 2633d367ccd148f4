use super::*;
use crate::filevine::{models::FvId, ProjectId};
use crate::util::dates::Zone;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2025-06-30 12:00 UTC);

fn ago(days: i64) -> String {
    (NOW - time::Duration::days(days))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

fn project(id: i64, phase: &str, phase_days: i64, active_days: i64, type_id: i64) -> Project {
    Project {
        project_id: Some(ProjectId::new(id)),
        project_name: Some(format!("P{id}")),
        phase_name: Some(phase.into()),
        phase_id: Some(if phase == "Intake" { 301 } else { 305 }),
        phase_date: Some(ago(phase_days)),
        last_activity: Some(ago(active_days)),
        created_date: Some(ago(phase_days + 1)),
        project_type_id: Some(type_id),
        ..Default::default()
    }
}

#[test]
fn percentiles_are_nearest_rank() {
    let d: Vec<i64> = (1..=10).collect();
    assert_eq!(percentile(&d, 50), 5);
    assert_eq!(percentile(&d, 90), 9);
    assert_eq!(percentile(&[7], 90), 7);
    assert_eq!(percentile(&[], 50), 0);
    assert_eq!(percentile(&[1, 2, 3], 50), 2);
}

#[test]
fn bands_edges_phases_months_and_types() {
    let mut b = ReportBuilder::new(NOW, &Zone::utc());
    let items = vec![
        project(1, "Intake", 10, 29, 11),
        project(2, "Intake", 20, 30, 11),
        project(3, "Intake", 30, 59, 12),
        project(4, "Litigation", 400, 60, 99),
        project(5, "Litigation", 100, 89, 11),
        project(6, "Litigation", 200, 90, 11),
        Project {
            project_id: Some(ProjectId::new(7)),
            last_activity: Some("not a date".into()),
            ..Default::default()
        },
    ];
    b.add_page(&ProjectPage {
        items,
        ..Default::default()
    });
    let types = vec![ProjectType {
        project_type_id: FvId {
            native: 11,
            partner: None,
        },
        name: Some("Personal Injury".into()),
    }];
    let r = b.finish(&types, false);
    assert_eq!(r.as_of, "2025-06-30");
    assert_eq!(r.total, 7);
    assert_eq!(r.stale, [2, 2, 1]);
    let ids: Vec<i64> = r.stalest.iter().map(|s| s.id).collect();
    assert_eq!(ids, vec![6, 5, 4, 3, 2], "oldest activity first");
    assert_eq!(r.stalest[0].days, 90);
    assert_eq!(r.phases[0].phase, "Intake");
    assert_eq!((r.phases[0].median_days, r.phases[0].p90_days), (20, 30));
    assert_eq!((r.phases[1].median_days, r.phases[1].p90_days), (200, 400));
    assert_eq!(r.months.len(), 12);
    assert_eq!(r.months[11].month, "2025-06");
    assert_eq!(r.months[0].month, "2024-07");
    // Created 11, 21, 31 (May), 101, 201 days ago; 401 days ago is before the window.
    let count = |m: &str| r.months.iter().find(|x| x.month == m).unwrap().count;
    assert_eq!(count("2025-06"), 2);
    assert_eq!(count("2025-05"), 1);
    assert_eq!(r.months.iter().map(|m| m.count).sum::<u64>(), 5);
    assert_eq!(r.types[0].name, "Personal Injury");
    assert_eq!(r.types[0].count, 4);
    let names: Vec<&str> = r.types.iter().map(|t| t.name.as_str()).collect();
    assert!(names.contains(&"Type 99") && names.contains(&"(no type)"));
}

#[test]
fn only_the_25_stalest_are_kept() {
    let mut b = ReportBuilder::new(NOW, &Zone::utc());
    let items = (0..100)
        .map(|i| project(i, "Intake", 10, 30 + (i * 7919) % 300, 11))
        .collect();
    b.add_page(&ProjectPage {
        items,
        ..Default::default()
    });
    let r = b.finish(&[], false);
    assert_eq!(r.stalest.len(), STALEST);
    let mut all: Vec<(i64, i64)> = (0..100).map(|i| (-(30 + (i * 7919) % 300), i)).collect();
    all.sort();
    let want: Vec<i64> = all.iter().take(STALEST).map(|x| x.1).collect();
    assert_eq!(r.stalest.iter().map(|s| s.id).collect::<Vec<_>>(), want);
}

#[test]
fn timestamps_in_several_shapes() {
    assert_eq!(
        parse_time("2025-06-30T17:00:00Z"),
        Some(datetime!(2025-06-30 17:00 UTC))
    );
    assert_eq!(
        parse_time("2025-06-30T17:00:00.123"),
        Some(datetime!(2025-06-30 17:00:00.123 UTC))
    );
    assert_eq!(
        parse_time("2025-06-30"),
        Some(datetime!(2025-06-30 0:00 UTC))
    );
    assert_eq!(parse_time("06/30/2025"), None);
}

#[test]
fn days_are_counted_in_the_firms_zone() {
    // 03:00 UTC on 1 July is still 30 June in Denver; the activity at noon UTC on 1 June is
    // 29 Denver days old (not stale yet) but 30 UTC days old.
    let now = datetime!(2025-07-01 03:00 UTC);
    let p = Project {
        project_id: Some(ProjectId::new(1)),
        last_activity: Some("2025-06-01T12:00:00Z".into()),
        created_date: Some("2025-07-01T01:00:00Z".into()),
        ..Default::default()
    };
    let page = ProjectPage {
        items: vec![p],
        ..Default::default()
    };
    let denver = Zone::named("America/Denver").unwrap();
    let mut b = ReportBuilder::new(now, &denver);
    b.add_page(&page);
    let r = b.finish(&[], false);
    assert_eq!(r.as_of, "2025-06-30");
    assert_eq!(r.stale, [0, 0, 0]);
    assert_eq!(r.months[11].month, "2025-06");
    assert_eq!(r.months[11].count, 1, "created on 30 June, Denver time");
    let mut b = ReportBuilder::new(now, &Zone::utc());
    b.add_page(&page);
    let r = b.finish(&[], false);
    assert_eq!((r.as_of.as_str(), r.stale), ("2025-07-01", [1, 0, 0]));
    assert_eq!(r.months[11].month, "2025-07");
}
