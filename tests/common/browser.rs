//! A browser-like client for the black-box tests: a cookie jar, redirects off, and the login
//! walked through the stand-in's pages; plus helpers that read forms out of HTML.

use super::*;

/// A cookie-keeping client that does not follow redirects, like a browser we drive by hand.
pub struct Browser {
    pub http: reqwest::Client,
    pub jar: Arc<reqwest::cookie::Jar>,
}

impl Browser {
    pub fn new() -> Self {
        Self::with_tls(false)
    }

    /// `accept_self_signed`: trust any certificate (test client only, for the https app with
    /// its self-signed certificate).
    pub fn with_tls(accept_self_signed: bool) -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_provider(jar.clone())
            .user_agent("fv-partner-app-tests")
            .danger_accept_invalid_certs(accept_self_signed)
            .build()
            .unwrap();
        Self { http, jar }
    }

    pub async fn get(&self, url: &Url) -> reqwest::Response {
        self.http.get(url.clone()).send().await.unwrap()
    }

    pub async fn post_form(&self, url: &Url, form: &[(&str, &str)]) -> reqwest::Response {
        self.http.post(url.clone()).form(form).send().await.unwrap()
    }

    /// The session cookie's value, if any.
    pub fn session_cookie(&self, app: &TestApp) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let header = self.jar.cookies(&app.base)?;
        header.to_str().unwrap().split("; ").find_map(|c| {
            c.strip_prefix("fv_session=")
                .or_else(|| c.strip_prefix("__Host-fv_session="))
                .map(str::to_owned)
        })
    }

    /// Starts a login and returns the provider URL the app sent us to.
    pub async fn start_login(&self, app: &TestApp, return_to: Option<&str>) -> Url {
        let mut url = app.url("/auth/login");
        if let Some(rt) = return_to {
            url.query_pairs_mut().append_pair("return_to", rt);
        }
        let r = self.get(&url).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "login should redirect");
        location(&r)
    }

    /// On the stand-in's sign-in page, presses the button for `user_sub` (or Cancel) and
    /// returns the redirect back to the app.
    pub async fn provider_choose(&self, authorize: &Url, choice: Choice<'_>) -> Url {
        let page = self.get(authorize).await;
        assert_eq!(page.status(), StatusCode::OK, "authorize page");
        let base = authorize.clone();
        let html = page.text().await.unwrap();
        let mut fields = hidden_inputs(&html);
        match choice {
            Choice::User(sub) => fields.push(("user".into(), sub.into())),
            Choice::Cancel => fields.push(("action".into(), "cancel".into())),
        }
        let action = base.join("/connect/authorize").unwrap();
        let r = self.http.post(action).form(&fields).send().await.unwrap();
        assert!(
            r.status().is_redirection(),
            "provider should redirect back, got {}",
            r.status()
        );
        location(&r)
    }

    /// The whole login as `user_sub`; returns the app's final redirect target after the
    /// callback (e.g. `/` or `/org?...`).
    pub async fn login(&self, app: &TestApp, user_sub: &str, return_to: Option<&str>) -> String {
        let authorize = self.start_login(app, return_to).await;
        let callback = self
            .provider_choose(&authorize, Choice::User(user_sub))
            .await;
        let r = self.get(&callback).await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "callback: {}",
            r.text().await.unwrap()
        );
        r.headers()[header::LOCATION].to_str().unwrap().to_owned()
    }
}

/// What to press on the stand-in's sign-in page.
pub enum Choice<'a> {
    User(&'a str),
    Cancel,
}

/// The `Location` header as an absolute URL.
pub fn location(r: &reqwest::Response) -> Url {
    let loc = r.headers()[header::LOCATION].to_str().unwrap();
    r.url().join(loc).unwrap()
}

/// `name`/`value` of every hidden input in `html` (just enough HTML for the stand-in's form).
pub fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for tag in html.split("<input").skip(1) {
        let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
        if !tag.contains("type=\"hidden\"") {
            continue;
        }
        let attr = |name: &str| {
            let key = format!("{name}=\"");
            let start = tag.find(&key)? + key.len();
            let end = start + tag[start..].find('"')?;
            Some(unescape(&tag[start..end]))
        };
        if let (Some(n), Some(v)) = (attr("name"), attr("value")) {
            out.push((n, v));
        }
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#38;", "&")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The `csrf` hidden field of a page.
pub fn csrf_of(html: &str) -> String {
    hidden_inputs(html)
        .into_iter()
        .find(|(n, _)| n == "csrf")
        .map(|(_, v)| v)
        .expect("page has a csrf field")
}

/// The `href` of the link with `rel` (`next`, `last`, ...), unescaped.
pub fn rel_link(html: &str, rel: &str) -> Option<String> {
    let i = html.find(&format!("rel=\"{rel}\""))?;
    let before = &html[..i];
    let start = before.rfind("href=\"")? + 6;
    let end = start + before[start..].find('"')?;
    Some(
        before[start..end]
            .replace("&amp;", "&")
            .replace("&#38;", "&"),
    )
}
