//! `ReturnTo::parse` never panics, and whatever it accepts stays on this site however it is
//! resolved or decoded.
#![no_main]

use fv_partner_app::auth::ReturnTo;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(candidate) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(rt) = ReturnTo::parse(candidate) {
        let base = url::Url::parse("https://app.example/").expect("static URL");
        if let Ok(joined) = base.join(rt.as_str()) {
            assert_eq!(joined.host_str(), Some("app.example"), "{candidate:?}");
        }
        assert!(!rt.as_str().starts_with("//") && !rt.as_str().contains('\\'));
    }
});
