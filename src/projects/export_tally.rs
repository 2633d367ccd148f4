//! What an export sent, logged once when its stream is over: "export finished" with rows,
//! bytes and time when the last byte went out, "export failed mid-stream" when a later page
//! failed, "export ended early" when the reader went away (a browser that hung up, a CLI
//! interrupted). The log line is written from `Drop`, so an export that is abandoned at any
//! await still says how far it got.

use std::time::Instant;

use bytes::Bytes;

/// One piece of an export: its bytes and how many rows they hold, or an error. `None` marks
/// the end of the body (every byte was produced).
pub type Piece = Option<std::io::Result<(Bytes, usize)>>;

/// The running count of one export, kept as the state of its body stream.
#[derive(Debug)]
pub struct Tally {
    started: Instant,
    rows: u64,
    bytes: u64,
    finished: bool,
    error: Option<String>,
}

impl Default for Tally {
    fn default() -> Self {
        Self::new()
    }
}

impl Tally {
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            rows: 0,
            bytes: 0,
            finished: false,
            error: None,
        }
    }

    /// Counts `piece` and passes its bytes on; `None` ends the stream (at the end marker, or
    /// after an error: nothing, not even JSON's `]`, may follow a failure).
    pub fn record(&mut self, piece: Piece) -> Option<std::io::Result<Bytes>> {
        if self.error.is_some() || self.finished {
            return None;
        }
        match piece {
            None => {
                self.finished = true;
                None
            }
            Some(Ok((bytes, rows))) => {
                self.rows += rows as u64;
                self.bytes += bytes.len() as u64;
                Some(Ok(bytes))
            }
            Some(Err(e)) => {
                self.error = Some(e.to_string());
                Some(Err(e))
            }
        }
    }
}

impl Drop for Tally {
    fn drop(&mut self) {
        let (rows, bytes) = (self.rows, self.bytes);
        let elapsed_ms = self.started.elapsed().as_millis() as u64;
        match (&self.error, self.finished) {
            (Some(error), _) => tracing::error!(
                rows_sent = rows,
                bytes,
                elapsed_ms,
                error = %crate::telemetry::Bounded(error.as_str()),
                "export failed mid-stream; aborting the download"
            ),
            (None, true) => tracing::info!(rows, bytes, elapsed_ms, "export finished"),
            (None, false) => tracing::info!(
                rows_sent = rows,
                bytes,
                elapsed_ms,
                "export ended early: the reader went away"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &'static str, rows: usize) -> Piece {
        Some(Ok((Bytes::from_static(text.as_bytes()), rows)))
    }

    #[test]
    fn counts_rows_and_bytes_and_stops_at_the_end_or_the_first_error() {
        let mut t = Tally::new();
        assert!(t.record(ok("head\r\n", 0)).is_some());
        assert!(t.record(ok("a\r\nb\r\n", 2)).is_some());
        assert!(t.record(None).is_none());
        assert!(t.record(ok("late", 1)).is_none(), "nothing after the end");
        assert_eq!((t.rows, t.bytes, t.finished), (2, 12, true));

        let mut t = Tally::new();
        assert!(t.record(ok("a\r\n", 1)).is_some());
        let failed = t.record(Some(Err(std::io::Error::other("boom"))));
        assert!(matches!(failed, Some(Err(_))));
        assert!(t.record(ok("b\r\n", 1)).is_none(), "nothing after an error");
        assert!(t.record(None).is_none());
        assert_eq!((t.rows, t.finished), (1, false));
        assert_eq!(t.error.as_deref(), Some("boom"));
    }
}
