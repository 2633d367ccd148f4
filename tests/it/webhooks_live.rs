//! `GET /projects/live`: a signed-in dashboard hears its org's changes (its environment's
//! only) as Server-Sent Events, with heartbeats, until its session ends; a delivery reaches
//! the streams of both replicas sharing PostgreSQL, whichever replica it was sent to.

use crate::common;

use crate::support::webhooks as support;

use std::time::Duration;

use common::*;
use futures::StreamExt;
use fv_partner_app::live::Change;
use reqwest::StatusCode;
use support::*;

/// An open event stream and what it has sent so far.
struct Events {
    body: futures::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    text: String,
}

impl Events {
    async fn open(app: &TestApp, b: &Browser) -> Events {
        let r = b.get(&app.url("/projects/live")).await;
        assert_eq!(r.status(), StatusCode::OK);
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.starts_with("text/event-stream"), "{ct}");
        Events {
            body: r.bytes_stream().boxed(),
            text: String::new(),
        }
    }

    /// Reads until the text holds `needle` after what was consumed; returns the event text
    /// up to it. Panics after 20 s (a hung stream, not a measurement).
    async fn until(&mut self, needle: &str) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(at) = self.text.find(needle) {
                let upto = at + needle.len();
                let seen = self.text[..upto].to_owned();
                self.text.drain(..upto);
                return seen;
            }
            let chunk = tokio::time::timeout_at(deadline, self.body.next())
                .await
                .unwrap_or_else(|_| panic!("no {needle:?} in {:?}", self.text));
            match chunk {
                Some(Ok(bytes)) => self.text.push_str(&String::from_utf8_lossy(&bytes)),
                other => panic!(
                    "stream ended ({other:?}) before {needle:?}: {:?}",
                    self.text
                ),
            }
        }
    }

    /// Reads until the stream ends (20 s at most); what it sent meanwhile.
    async fn until_end(&mut self) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            match tokio::time::timeout_at(deadline, self.body.next()).await {
                Ok(Some(Ok(bytes))) => self.text.push_str(&String::from_utf8_lossy(&bytes)),
                Ok(_) => return std::mem::take(&mut self.text),
                Err(_) => panic!("the stream did not end: {:?}", self.text),
            }
        }
    }
}

fn change(environment: &str, org_id: i64, projects: u64) -> Change {
    Change {
        environment: environment.into(),
        org_id,
        projects,
    }
}

#[tokio::test]
async fn a_dashboard_hears_its_orgs_changes_only_with_heartbeats_until_sign_out() {
    let (app, ada) = app_with_ada().await;
    let mut events = Events::open(&app, &ada).await;
    let env = environment(&app);
    // Another org, another environment's same org id: not hers.
    app.state.live.publish(change(&env, 5002, 7));
    app.state.live.publish(change("elsewhere", LOVELACE, 5));
    app.state.live.publish(change(&env, LOVELACE, 3));
    let seen = events.until("\n\n").await;
    assert_eq!(seen, "event: projects-changed\ndata: {\"projects\":3}\n\n");
    // A real delivery, end to end.
    let (_, json) = deliver(&app, phase_changed(LOVELACE, 42)).await;
    assert_eq!(json["status"], "accepted");
    let seen = events.until("\n\n").await;
    assert_eq!(seen, "event: projects-changed\ndata: {\"projects\":1}\n\n");
    // A heartbeat when the app clock passes 15 s (the session is still there).
    app.advance_clock(Duration::from_secs(16));
    assert_eq!(events.until("\n\n").await, ": heartbeat\n\n");
    // Signed out: the next heartbeat finds no session and the stream ends.
    let page = ada.get(&app.url("/profile")).await.text().await.unwrap();
    let r = ada
        .post_form(&app.url("/auth/logout"), &[("csrf", &csrf_of(&page))])
        .await;
    assert!(r.status().is_redirection());
    app.advance_clock(Duration::from_secs(16));
    let rest = events.until_end().await;
    assert!(!rest.contains("projects-changed"), "{rest}");
}

#[tokio::test]
async fn without_a_session_the_stream_is_204_so_event_source_stops() {
    let app = spawn_app(TestOptions::default()).await;
    let r = app.browser().get(&app.url("/projects/live")).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_delivery_to_either_replica_reaches_the_streams_on_both() {
    let apps = spawn_replicas(
        2,
        TestOptions {
            fake: rs512(),
            database_url: Some(postgres_url()),
            ..Default::default()
        },
    )
    .await;
    let ada = apps[0].browser();
    ada.login(&apps[0], ADA, None).await;
    let mut streams = Vec::new();
    for app in &apps {
        streams.push(Events::open(app, &ada).await);
    }
    for to in &apps {
        let (_, json) = deliver(to, phase_changed(LOVELACE, 7)).await;
        assert_eq!(json["status"], "accepted");
        for events in &mut streams {
            events.until("event: projects-changed\n").await;
        }
    }
}

/// Signing out ends the open stream at once, not at its next heartbeat: a change published
/// right after the sign-out never reaches it.
#[tokio::test]
async fn sign_out_ends_the_stream_before_anything_else_is_sent() {
    let (app, ada) = app_with_ada().await;
    let mut events = Events::open(&app, &ada).await;
    let env = environment(&app);
    // Another session of Ada's signing out leaves this stream open.
    let other = app.browser();
    other.login(&app, ADA, None).await;
    let page = other.get(&app.url("/profile")).await.text().await.unwrap();
    other
        .post_form(&app.url("/auth/logout"), &[("csrf", &csrf_of(&page))])
        .await;
    app.state.live.publish(change(&env, LOVELACE, 2));
    assert_eq!(
        events.until("\n\n").await,
        "event: projects-changed\ndata: {\"projects\":2}\n\n"
    );

    let page = ada.get(&app.url("/profile")).await.text().await.unwrap();
    let r = ada
        .post_form(&app.url("/auth/logout"), &[("csrf", &csrf_of(&page))])
        .await;
    assert!(r.status().is_redirection());
    app.state.live.publish(change(&env, LOVELACE, 3));
    let rest = events.until_end().await;
    assert_eq!(rest, "", "nothing after the sign-out");
}
