use super::*;

fn row(t: i64, phase: &str, count: i64) -> SnapshotRow {
    SnapshotRow {
        environment: "us".into(),
        org_id: 1,
        taken_at: t,
        phase: phase.into(),
        count,
        connection: String::new(),
    }
}

fn order(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

const EVERY: Option<Duration> = Some(Duration::from_secs(15 * 60));

#[test]
fn lines_span_the_plot_and_scale_to_the_max() {
    let zone = Zone::utc();
    let t = Trend::new(
        &[
            row(100, "Intake", 10),
            row(100, "Closed", 5),
            row(200, "Intake", 20),
            row(200, "Closed", 0),
        ],
        &order(&["Intake", "Closed"]),
        &zone,
    )
    .unwrap();
    assert_eq!(t.snapshots, 2);
    assert_eq!(t.series.len(), 2);
    assert_eq!(t.series[0].phase, "Intake");
    assert_eq!(
        t.series[0].points,
        format!("{LEFT},{} {},{TOP}", TOP + PLOT_H / 2, LEFT + PLOT_W)
    );
    assert_eq!(t.series[1].latest, 0);
    assert_eq!(t.series[0].end, (LEFT + PLOT_W, TOP));
    assert_ne!(t.first.exact, t.last.exact);
}

#[test]
fn lines_follow_the_bar_charts_order_and_others_come_last_by_name() {
    let zone = Zone::utc();
    let rows = [
        row(1, "Closed", 1),
        row(1, "Archive", 1),
        row(1, "Intake", 1),
        row(1, "Discovery", 1),
        row(2, "Closed", 1),
        row(2, "Intake", 2),
    ];
    let t = Trend::new(&rows, &order(&["Intake", "Discovery", "Closed"]), &zone).unwrap();
    let names: Vec<&str> = t.series.iter().map(|s| s.phase.as_str()).collect();
    assert_eq!(names, ["Intake", "Discovery", "Closed", "Archive"]);
}

#[test]
fn colours_and_dashes_never_repeat_within_eleven_lines() {
    let zone = Zone::utc();
    let phases: Vec<String> = (0..11).map(|i| format!("P{i:02}")).collect();
    let rows: Vec<SnapshotRow> = phases
        .iter()
        .flat_map(|p| [row(1, p, 1), row(2, p, 2)])
        .collect();
    let t = Trend::new(&rows, &phases, &zone).unwrap();
    let mut looks: Vec<(&str, &str)> = t.series.iter().map(|s| (s.color, s.dash)).collect();
    looks.sort_unstable();
    looks.dedup();
    assert_eq!(looks.len(), 11);
    assert!(t.series[..4].iter().all(|s| s.dash.is_empty()));
}

#[test]
fn end_labels_never_overlap_and_stay_inside_the_chart() {
    let zone = Zone::utc();
    // Eight lines ending at the same count: their labels would all sit on one spot.
    let phases: Vec<String> = (0..8).map(|i| format!("Phase {i}")).collect();
    let rows: Vec<SnapshotRow> = phases
        .iter()
        .flat_map(|p| [row(1, p, 3), row(2, p, 7)])
        .collect();
    let t = Trend::new(&rows, &phases, &zone).unwrap();
    let mut ys: Vec<u32> = t.series.iter().map(|s| s.label_y).collect();
    ys.sort_unstable();
    for pair in ys.windows(2) {
        assert!(pair[1] - pair[0] >= LABEL_GAP, "{ys:?}");
    }
    assert!(ys.iter().all(|y| (TOP..=HEIGHT).contains(y)), "{ys:?}");
    // One line alone keeps its label next to its end.
    let one = Trend::new(&[row(1, "A", 1), row(2, "A", 1)], &[], &zone).unwrap();
    assert_eq!(one.series[0].label_y, one.series[0].end.1 + 4);
}

#[test]
fn below_two_snapshots_the_card_says_when_the_line_starts() {
    let zone = Zone::named("America/Denver").unwrap();
    // 2025-07-01T03:00:00Z, 21:00 the day before in Denver.
    let taken = 1_751_338_800;
    let note = match TrendCard::new(&[row(taken, "Intake", 3)], &[], &zone, EVERY) {
        TrendCard::Note(note) => note,
        TrendCard::Chart(_) => panic!("a chart of one snapshot"),
    };
    assert!(
        note.contains("One snapshot so far, taken 30 Jun 2025, 21:00 MDT"),
        "{note}"
    );
    assert!(note.contains("due about 30 Jun 2025, 21:15 MDT"), "{note}");

    let note_of = |card: TrendCard| match card {
        TrendCard::Note(note) => note,
        TrendCard::Chart(_) => panic!("a chart without snapshots"),
    };
    assert!(note_of(TrendCard::new(&[], &[], &zone, EVERY)).contains("within 15 minutes"));
    assert!(note_of(TrendCard::new(&[], &[], &zone, None)).contains("FV_SNAPSHOT_MINUTES=0"));

    let two = TrendCard::new(&[row(1, "A", 1), row(2, "A", 2)], &[], &zone, EVERY);
    assert!(matches!(two, TrendCard::Chart(_)));
}
