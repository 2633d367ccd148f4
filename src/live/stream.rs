//! What one open dashboard hears: the changes of its session's org (in its environment) and a
//! heartbeat every [`HEARTBEAT`] on the app clock, at which the session is checked; the
//! stream ends when the session is gone: at once when it is signed out in this process
//! ([`LiveHub::session_ended`]), at the next heartbeat when it ended elsewhere (another
//! replica, an admin, the provider) or expired. The web layer turns these into Server-Sent
//! Events.

use std::{future::Future, time::Duration};

use futures::Stream;
use tokio::sync::broadcast::{error::RecvError, Receiver};

use super::hub::{Change, LiveHub};
use crate::util::Clock;

/// How often a stream sends a heartbeat and checks its session.
pub const HEARTBEAT: Duration = Duration::from_secs(15);

/// An event for one dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveEvent {
    /// Projects of the org changed; `projects` is how many (0: some, the count was lost
    /// because this stream fell behind).
    Changed { projects: u64 },
    /// Nothing happened; the session is still there.
    Heartbeat,
}

struct Watch<F> {
    changes: Receiver<Change>,
    ended: Receiver<String>,
    /// The session's stored id.
    session: String,
    clock: Clock,
    environment: String,
    org_id: i64,
    still_signed_in: F,
    next_beat: std::time::SystemTime,
}

/// The events of `org_id` in `environment`, from now on, for as long as the session stored
/// under `session` is not signed out and `still_signed_in` (asked at each heartbeat) says yes.
pub fn events<F, Fut>(
    hub: &LiveHub,
    clock: Clock,
    (environment, org_id): (String, i64),
    session: String,
    still_signed_in: F,
) -> impl Stream<Item = LiveEvent>
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    let next_beat = clock.now() + HEARTBEAT;
    let watch = Watch {
        changes: hub.subscribe(),
        ended: hub.subscribe_ended(),
        session,
        clock,
        environment,
        org_id,
        still_signed_in,
        next_beat,
    };
    futures::stream::unfold(watch, |mut w| async move {
        loop {
            let wait = w
                .next_beat
                .duration_since(w.clock.now())
                .unwrap_or_default();
            // Biased: a sign-out already announced wins over a change that came after it.
            tokio::select! {
                biased;
                ended = w.ended.recv() => match ended {
                    Ok(id) if id == w.session => return None,
                    Ok(_) => continue,
                    Err(RecvError::Lagged(_)) => {
                        if !(w.still_signed_in)().await {
                            return None;
                        }
                    }
                    Err(RecvError::Closed) => return None,
                },
                change = w.changes.recv() => match change {
                    Ok(c) if c.environment == w.environment && c.org_id == w.org_id => {
                        return Some((LiveEvent::Changed { projects: c.projects }, w));
                    }
                    Ok(_) => continue,
                    Err(RecvError::Lagged(_)) => {
                        return Some((LiveEvent::Changed { projects: 0 }, w));
                    }
                    Err(RecvError::Closed) => return None,
                },
                _ = w.clock.sleep(wait) => {
                    if !(w.still_signed_in)().await {
                        return None;
                    }
                    w.next_beat = w.clock.now() + HEARTBEAT;
                    return Some((LiveEvent::Heartbeat, w));
                }
            }
        }
    })
}
