//! The browser and system of a session, from its User-Agent, for the sessions page.
//!
//! A small table rather than a User-Agent crate: the page needs one of a handful of names
//! (Edge, Opera, Chrome, Firefox, Safari; Windows, macOS, iOS, Android, ChromeOS, Linux), and
//! the crates that parse every crawler and device bring a large pattern set (and regex
//! compilation at start-up) for names nobody here would read. The order is the known one:
//! Edge and Opera also say "Chrome", Chrome also says "Safari", iOS also says "Mac OS X".
//! Only the parsed name is ever stored or shown, never the header.

/// Tokens that name a browser, most specific first.
const BROWSERS: [(&str, &str); 8] = [
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("CriOS/", "Chrome"),
];

/// Tokens that name a system, most specific first.
const SYSTEMS: [(&str, &str); 8] = [
    ("iPhone", "iOS"),
    ("iPad", "iOS"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
];

/// "Firefox on Linux", "Chrome", "on Windows"... or `None` when nothing is recognised.
pub fn describe(user_agent: Option<&str>) -> Option<String> {
    let ua = user_agent?;
    let browser = BROWSERS
        .iter()
        .find(|(token, _)| ua.contains(token))
        .map(|(_, name)| *name)
        .or_else(|| (ua.contains("Safari/") && ua.contains("Version/")).then_some("Safari"));
    let system = SYSTEMS
        .iter()
        .find(|(token, _)| ua.contains(token))
        .map(|(_, name)| *name);
    match (browser, system) {
        (Some(b), Some(s)) => Some(format!("{b} on {s}")),
        (Some(b), None) => Some(b.to_owned()),
        (None, Some(s)) => Some(format!("a browser on {s}")),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn common_browsers_are_named_with_their_system() {
        let cases = [
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0", "Edge on Windows"),
            ("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", "Firefox on Linux"),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15", "Safari on macOS"),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1", "Safari on iOS"),
            ("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36", "Chrome on Android"),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/105.0.0.0", "Opera on Windows"),
        ];
        for (ua, want) in cases {
            assert_eq!(describe(Some(ua)).as_deref(), Some(want), "{ua}");
        }
    }

    #[test]
    fn unknown_agents_are_not_echoed() {
        assert_eq!(describe(Some("<script>alert(1)</script>")), None);
        assert_eq!(describe(None), None);
        assert_eq!(describe(Some("curl/8.5.0")), None);
    }
}
