//! Credentials that expire on a known date (the client secret, `FV_CLIENT_SECRET_EXPIRES`):
//! admins see a banner from [`BANNER_DAYS`] before, and one alert goes out at each of
//! [`THRESHOLDS`] days before (the nearest one reached, once: an app started 5 days before
//! sends the 7-day alert, then the one on the day).

/// Days before the expiry when an alert goes out (0: on the day, or after it).
pub const THRESHOLDS: [i64; 3] = [0, 7, 30];
/// Days before the expiry when the page starts to show a banner.
pub const BANNER_DAYS: i64 = 30;

/// One credential with an expiry date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expiring {
    /// A stable key for the alert marks, e.g. `client_secret`.
    pub subject: String,
    /// What it is, in words ("The client secret (FV_CLIENT_SECRET)").
    pub what: String,
    /// What to do about it.
    pub fix: String,
    pub on: time::Date,
}

impl Expiring {
    /// The client secret of `FV_CLIENT_SECRET_EXPIRES`.
    pub fn client_secret(on: time::Date) -> Self {
        Self {
            subject: "client_secret".into(),
            what: "This app's Filevine client secret (FV_CLIENT_SECRET)".into(),
            fix: "Ask Filevine for a new client secret, set FV_CLIENT_SECRET and FV_CLIENT_SECRET_EXPIRES, and restart the app.".into(),
            on,
        }
    }

    /// The PAT of connection `name`, acting as `email`.
    pub fn pat(name: &str, email: &str, on: time::Date) -> Self {
        let account = if email.is_empty() {
            "the service account"
        } else {
            email
        };
        Self {
            subject: Self::pat_subject(name),
            what: format!("The PAT of connection {name}"),
            fix: format!("Create a new PAT for {account} in Filevine and paste it on the connection's card (Verify, then Save)."),
            on,
        }
    }

    /// The key a PAT's expiry date is kept under.
    pub fn pat_subject(name: &str) -> String {
        format!("pat/{name}")
    }

    /// Whole days from `today` to the expiry (negative once it has passed).
    pub fn days_left(&self, today: time::Date) -> i64 {
        (self.on - today).whole_days()
    }

    /// The alert threshold reached on `today`, if any: the nearest one at or above the days left.
    pub fn threshold(&self, today: time::Date) -> Option<i64> {
        let left = self.days_left(today);
        THRESHOLDS.into_iter().find(|t| left <= *t)
    }

    /// The sentence of a banner or an alert on `today`.
    pub fn sentence(&self, today: time::Date) -> String {
        let when = match self.days_left(today) {
            d if d < 0 => format!("expired on {}", self.on),
            0 => format!("expires today ({})", self.on),
            1 => format!("expires tomorrow ({})", self.on),
            d => format!("expires on {} (in {d} days)", self.on),
        };
        format!("{} {when}. {}", self.what, self.fix)
    }

    /// Whether the page shows a banner on `today`.
    pub fn banner(&self, today: time::Date) -> bool {
        self.days_left(today) <= BANNER_DAYS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_nearest_threshold_reached_is_the_one_alerted() {
        let e = Expiring::client_secret(date!(2027 - 06 - 30));
        assert_eq!(e.threshold(date!(2027 - 05 - 30)), None, "31 days before");
        assert_eq!(e.threshold(date!(2027 - 05 - 31)), Some(30));
        assert_eq!(e.threshold(date!(2027 - 06 - 22)), Some(30), "8 days");
        assert_eq!(e.threshold(date!(2027 - 06 - 23)), Some(7));
        assert_eq!(e.threshold(date!(2027 - 06 - 30)), Some(0));
        assert_eq!(e.threshold(date!(2027 - 07 - 09)), Some(0), "after it");
        assert!(!e.banner(date!(2027 - 05 - 30)) && e.banner(date!(2027 - 05 - 31)));
        assert!(e.sentence(date!(2027 - 06 - 23)).contains("in 7 days"));
        assert!(e.sentence(date!(2027 - 06 - 30)).contains("expires today"));
    }
}
