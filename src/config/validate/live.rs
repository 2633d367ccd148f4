//! Live data from Filevine webhooks (`settings.live`).
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `FV_WEBHOOK_AUDIENCE` | the `aud` a webhook delivery's bearer token must carry (1 to 255 characters, no spaces) | `filevine-v2-webhooks` |

use super::super::parse::{bad, Bad};
use super::super::LiveSettings;
use super::Resolver;

/// The audience Filevine Identity puts in webhook delivery tokens.
pub const DEFAULT_WEBHOOK_AUDIENCE: &str = "filevine-v2-webhooks";

/// Reads the live section.
pub(in crate::config) fn live(r: &mut Resolver) -> LiveSettings {
    let webhook_audience = r.value(
        "FV_WEBHOOK_AUDIENCE",
        DEFAULT_WEBHOOK_AUDIENCE.to_owned(),
        parse_audience,
    );
    LiveSettings { webhook_audience }
}

fn parse_audience(text: &str) -> Result<String, Bad> {
    let text = text.trim();
    if text.is_empty() || text.len() > 255 || text.chars().any(char::is_whitespace) {
        return Err(bad(
            "an audience is one word of 1 to 255 characters",
            format!("leave it unset for Filevine's `{DEFAULT_WEBHOOK_AUDIENCE}`, or set the exact `aud` your provider sends"),
        ));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use crate::config::{resolve, Sources};

    fn with(value: &str) -> Sources {
        Sources {
            env: vec![("FV_WEBHOOK_AUDIENCE".into(), value.into())],
            ..Default::default()
        }
    }

    #[test]
    fn the_default_is_filevines_and_a_value_is_read() {
        let s = resolve(Sources::default()).expect("demo settings");
        assert_eq!(s.live.webhook_audience, "filevine-v2-webhooks");
        let s = resolve(with("my-hooks")).expect("valid");
        assert_eq!(s.live.webhook_audience, "my-hooks");
    }

    #[test]
    fn a_bad_audience_is_an_error_naming_its_key() {
        for value in ["two words", &"a".repeat(256)] {
            let e = resolve(with(value)).expect_err(value);
            assert_eq!(e.0.len(), 1, "{e}");
            assert_eq!(e.0[0].key, "FV_WEBHOOK_AUDIENCE", "{e}");
        }
    }
}
