//! Where the alert tests' messages arrive: a real SMTP server (aiosmtpd, from PyPI, which
//! `scripts/test.sh` installs, writing each message into a Maildir) and an HTTP sink for the
//! webhook (axum on port 0, which keeps every JSON body and can be told to answer 500).

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

/// A port nobody listens on (yet).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An aiosmtpd handler that refuses every recipient.
const REFUSE_PY: &str = "class Refuse:\n    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):\n        return '550 5.7.1 relaying denied'\n";

/// `python3 -m aiosmtpd` on loopback, writing into a Maildir; stopped on drop.
pub struct SmtpServer {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

impl SmtpServer {
    /// Starts the server on `port` and waits until it accepts connections.
    pub async fn start(port: u16) -> Self {
        Self::spawn(port, false).await
    }

    /// A server on `port` that refuses every recipient (550), as a relay that will not take
    /// the app's mail does.
    pub async fn start_refusing(port: u16) -> Self {
        Self::spawn(port, true).await
    }

    async fn spawn(port: u16, refusing: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let maildir: PathBuf = dir.path().join("mail");
        let mut command = Command::new("python3");
        command
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"));
        if refusing {
            std::fs::write(dir.path().join("refuse.py"), REFUSE_PY).unwrap();
            command
                .env("PYTHONPATH", dir.path())
                .args(["-c", "refuse.Refuse"]);
        } else {
            command
                .args(["-c", "aiosmtpd.handlers.Mailbox"])
                .arg(&maildir);
        }
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m aiosmtpd starts (scripts/test.sh installs aiosmtpd)");
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Self { port, dir, child };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("aiosmtpd did not listen on port {port}: is it installed (python3 -m pip install --user aiosmtpd)?");
    }

    /// `smtp://127.0.0.1:PORT` (plain: loopback).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received, as raw text.
    pub fn messages(&self) -> Vec<String> {
        let new = self.dir.path().join("mail").join("new");
        let Ok(entries) = std::fs::read_dir(new) else {
            return Vec::new();
        };
        let mut out: Vec<String> = entries
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .map(|m| unquote(&m))
            .collect();
        out.sort();
        out
    }
}

/// A quoted-printable message as plain text (soft line breaks joined, `=XX` decoded), so
/// tests read what the recipient reads.
fn unquote(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The webhook's receiving end.
#[derive(Clone)]
pub struct WebhookSink {
    pub url: String,
    bodies: Arc<Mutex<Vec<serde_json::Value>>>,
    failing: Arc<AtomicBool>,
}

impl WebhookSink {
    pub async fn start() -> Self {
        use axum::{extract::State, http::StatusCode, routing::post, Json, Router};
        type Shared = (Arc<Mutex<Vec<serde_json::Value>>>, Arc<AtomicBool>);
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let failing = Arc::new(AtomicBool::new(false));
        async fn take(
            State((bodies, failing)): State<Shared>,
            Json(body): Json<serde_json::Value>,
        ) -> StatusCode {
            if failing.load(Ordering::SeqCst) {
                return StatusCode::INTERNAL_SERVER_ERROR;
            }
            bodies.lock().unwrap().push(body);
            StatusCode::OK
        }
        let app = Router::new()
            .route("/hook/T000/B000/secret-path", post(take))
            .with_state((bodies.clone(), failing.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            url: format!("http://127.0.0.1:{port}/hook/T000/B000/secret-path"),
            bodies,
            failing,
        }
    }

    /// The `text` of every body received.
    pub fn texts(&self) -> Vec<String> {
        self.bodies
            .lock()
            .unwrap()
            .iter()
            .map(|b| b["text"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Answer 500 from now on (or stop).
    pub fn fail(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }
}

/// Polls (real time, bounded) until `done` holds: deliveries run on their own task.
pub async fn until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..400 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// The environment that turns both alert channels on.
pub fn alert_env(smtp_url: &str, hook: &WebhookSink) -> Vec<(String, String)> {
    vec![
        ("FV_ADMIN_EMAILS".into(), "ada@lovelace-law.example".into()),
        ("FV_SMTP_URL".into(), smtp_url.into()),
        (
            "FV_ALERT_FROM".into(),
            "Filevine alerts <alerts@partner.example>".into(),
        ),
        ("FV_ALERT_WEBHOOK_URL".into(), hook.url.clone()),
        ("FV_HEALTH_MINUTES".into(), "1".into()),
    ]
}
