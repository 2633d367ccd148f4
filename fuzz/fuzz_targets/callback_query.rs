//! The callback's query string parses (or is refused) without panicking, as axum's `Query`
//! extractor does it.
#![no_main]

use fv_partner_app::auth::flow::CallbackQuery;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(q) = serde_urlencoded::from_str::<CallbackQuery>(query) {
        let _ = (q.code, q.state, q.iss, q.error, q.error_description);
    }
});
