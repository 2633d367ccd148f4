//! Dates as people read them: "30 Jun 2025" in the firm's time zone (`FV_TIME_ZONE`, an IANA
//! name, default UTC), with the exact value kept for `<time datetime>` and a `title`. The
//! gateway's timestamps (`createdDate`, `lastActivity`, ...) and the app's own unix times all
//! go through here, so a page never mixes `+00:00`, `Z` and raw ISO text.
//!
//! jiff (with its bundled time-zone database, so a container without `/usr/share/zoneinfo`
//! still knows `America/Denver`) rather than hand-written offsets: zones have rules.

use jiff::{civil::DateTime, tz::TimeZone, Timestamp};

/// The zone dates are shown in.
#[derive(Clone, Debug)]
pub struct Zone {
    tz: TimeZone,
    name: String,
}

/// One date as a page shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shown {
    /// What people read: `30 Jun 2025`.
    pub text: String,
    /// The machine-readable value for `<time datetime>` (empty when the input made no sense).
    pub datetime: String,
    /// The exact moment for a tooltip: `30 Jun 2025, 11:00 MDT`.
    pub exact: String,
}

impl Shown {
    /// Text that is not a date, shown as it came (in a column where other rows are dates).
    pub fn plain(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            datetime: String::new(),
            exact: text.to_owned(),
        }
    }
}

impl Default for Zone {
    fn default() -> Self {
        Self::utc()
    }
}

impl Zone {
    pub fn utc() -> Self {
        Self {
            tz: TimeZone::UTC,
            name: "UTC".to_owned(),
        }
    }

    /// The zone of an IANA name (`America/Denver`, `Europe/London`, `UTC`).
    pub fn named(name: &str) -> Result<Self, String> {
        let name = name.trim();
        TimeZone::get(name)
            .map(|tz| Self {
                tz,
                name: name.to_owned(),
            })
            .map_err(|_| format!("'{name}' is not a time zone this app knows"))
    }

    /// The configured name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A gateway timestamp (RFC 3339, or without offset meaning UTC). A value at exactly
    /// midnight is a calendar date (`incidentDate`): shown as that day in every zone, not
    /// moved to the day before west of Greenwich. Text that is no date is shown as it came.
    pub fn day(&self, raw: Option<&str>) -> Shown {
        let raw = raw.unwrap_or("").trim();
        if raw.is_empty() {
            return Shown::default();
        }
        let ts = raw.parse::<Timestamp>().ok().or_else(|| {
            raw.parse::<DateTime>()
                .ok()
                .and_then(|dt| dt.to_zoned(TimeZone::UTC).ok())
                .map(|z| z.timestamp())
        });
        let Some(ts) = ts else {
            return Shown {
                text: raw.to_owned(),
                datetime: String::new(),
                exact: raw.to_owned(),
            };
        };
        let utc = ts.to_zoned(TimeZone::UTC);
        if utc.time() == jiff::civil::Time::midnight() {
            let text = utc.strftime("%-d %b %Y").to_string();
            return Shown {
                datetime: utc.date().to_string(),
                exact: text.clone(),
                text,
            };
        }
        self.moment_of(ts)
    }

    /// A calendar day (`yyyy-mm-dd`, as the reports count them): the same in every zone.
    pub fn calendar(&self, day: &str) -> Shown {
        match day.trim().parse::<jiff::civil::Date>() {
            Ok(d) => {
                let text = d.strftime("%-d %b %Y").to_string();
                Shown {
                    datetime: d.to_string(),
                    exact: text.clone(),
                    text,
                }
            }
            Err(_) => self.day(Some(day)),
        }
    }

    /// A calendar month (`yyyy-mm`): `Dec 2026`, with `datetime` kept as `2026-12`.
    pub fn month(&self, month: &str) -> Shown {
        match format!("{}-01", month.trim()).parse::<jiff::civil::Date>() {
            Ok(d) => {
                let text = d.strftime("%b %Y").to_string();
                Shown {
                    datetime: month.trim().to_owned(),
                    exact: text.clone(),
                    text,
                }
            }
            Err(_) => Shown {
                text: month.to_owned(),
                datetime: String::new(),
                exact: month.to_owned(),
            },
        }
    }

    /// One of the app's own times (unix seconds): last success, token validity, audit.
    pub fn moment(&self, unix: i64) -> Shown {
        match Timestamp::from_second(unix) {
            Ok(ts) => self.moment_of(ts),
            Err(_) => Shown {
                text: unix.to_string(),
                datetime: String::new(),
                exact: unix.to_string(),
            },
        }
    }

    /// The calendar day (in this zone) of the moment `unix` seconds, for figures counted in
    /// days as the firm's people live them (the reports' "days without activity").
    pub fn local_date(&self, unix: i64) -> Option<time::Date> {
        let local = Timestamp::from_second(unix).ok()?.to_zoned(self.tz.clone());
        let month = time::Month::try_from(u8::try_from(local.month()).ok()?).ok()?;
        let day = u8::try_from(local.day()).ok()?;
        time::Date::from_calendar_date(i32::from(local.year()), month, day).ok()
    }

    fn moment_of(&self, ts: Timestamp) -> Shown {
        let local = ts.to_zoned(self.tz.clone());
        Shown {
            text: local.strftime("%-d %b %Y").to_string(),
            datetime: ts.to_string(),
            exact: local.strftime("%-d %b %Y, %H:%M %Z").to_string(),
        }
    }
}

/// A gateway timestamp as a spreadsheet reads it: `2026-12-02 00:04:29` (UTC, whole
/// seconds), or `2026-12-02` for a calendar date (exactly midnight). Excel, LibreOffice and
/// Google Sheets turn both into dates; RFC 3339's `T`, `Z` and nanoseconds they keep as text.
/// UTC because a file outlives the zone it was made in (the docs say so). Text that is no
/// date comes back as it came.
pub fn spreadsheet(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let ts = raw.parse::<Timestamp>().ok().or_else(|| {
        raw.parse::<DateTime>()
            .ok()
            .and_then(|dt| dt.to_zoned(TimeZone::UTC).ok())
            .map(|z| z.timestamp())
    })?;
    let utc = ts.to_zoned(TimeZone::UTC);
    Some(if utc.time() == jiff::civil::Time::midnight() {
        utc.date().to_string()
    } else {
        utc.strftime("%Y-%m-%d %H:%M:%S").to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_dates_follow_the_zone() {
        // 2025-07-01T03:00:00Z: still 30 June in Denver.
        let t = 1_751_338_800;
        let denver = Zone::named("America/Denver").unwrap();
        assert_eq!(
            denver.local_date(t),
            Some(time::macros::date!(2025 - 06 - 30))
        );
        assert_eq!(
            Zone::utc().local_date(t),
            Some(time::macros::date!(2025 - 07 - 01))
        );
    }

    #[test]
    fn timestamps_are_shown_in_the_firms_zone() {
        let denver = Zone::named("America/Denver").unwrap();
        // 03:00 UTC on 1 July is still 30 June in Denver.
        let s = denver.day(Some("2025-07-01T03:00:00Z"));
        assert_eq!(s.text, "30 Jun 2025");
        assert_eq!(s.datetime, "2025-07-01T03:00:00Z");
        assert_eq!(s.exact, "30 Jun 2025, 21:00 MDT");
        // The same in UTC, and `+00:00` reads like `Z`.
        let utc = Zone::utc();
        assert_eq!(
            utc.day(Some("2025-07-01T03:00:00+00:00")).text,
            "1 Jul 2025"
        );
        assert_eq!(
            utc.day(Some("2025-07-01T03:00:00")).exact,
            "1 Jul 2025, 03:00 UTC"
        );
    }

    #[test]
    fn calendar_dates_do_not_move_and_nonsense_stays_as_it_came() {
        let denver = Zone::named("America/Denver").unwrap();
        let d = denver.day(Some("2025-06-30T00:00:00Z"));
        assert_eq!(
            (d.text.as_str(), d.datetime.as_str()),
            ("30 Jun 2025", "2025-06-30")
        );
        assert_eq!(denver.day(Some("06/30/2025")).text, "06/30/2025");
        assert_eq!(denver.day(Some("06/30/2025")).datetime, "");
        assert_eq!(denver.day(None), Shown::default());
    }

    #[test]
    fn days_months_and_spreadsheet_cells() {
        let z = Zone::named("America/Denver").unwrap();
        let d = z.calendar("2026-12-07");
        assert_eq!(
            (d.text.as_str(), d.datetime.as_str()),
            ("7 Dec 2026", "2026-12-07")
        );
        let m = z.month("2026-01");
        assert_eq!(
            (m.text.as_str(), m.datetime.as_str()),
            ("Jan 2026", "2026-01")
        );
        assert_eq!(
            spreadsheet("2026-12-02T00:04:29.807742933Z").as_deref(),
            Some("2026-12-02 00:04:29")
        );
        assert_eq!(
            spreadsheet("2026-12-02T01:04:29+01:00").as_deref(),
            Some("2026-12-02 00:04:29")
        );
        assert_eq!(
            spreadsheet("2026-12-02T00:00:00Z").as_deref(),
            Some("2026-12-02")
        );
        assert_eq!(spreadsheet("soon"), None);
    }

    #[test]
    fn unknown_zones_are_refused_and_our_times_are_zoned() {
        assert!(Zone::named("Mars/Olympus_Mons").is_err());
        let london = Zone::named("Europe/London").unwrap();
        // 1 July 2025 12:00 UTC = 13:00 BST.
        assert_eq!(london.moment(1_751_371_200).exact, "1 Jul 2025, 13:00 BST");
        assert_eq!(london.name(), "Europe/London");
    }
}
