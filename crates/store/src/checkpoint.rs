//! The checkpoint thread: copies committed WAL frames into the store file (and syncs it) on its
//! own connection every [`CHECKPOINT_INTERVAL`], so the writer thread does not stop for it. The
//! writer's automatic checkpoint stays as a backstop at a larger WAL size.

use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use rusqlite::Connection;

/// How often the WAL is checkpointed.
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(250);

/// The checkpoint thread's connection to the store file.
///
/// # Errors
/// The file cannot be opened or set up.
pub(super) fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

/// Checkpoints until the sender of `stop` is dropped (with the store). A checkpoint that fails
/// is retried at the next tick; the writer's own checkpoint still bounds the WAL meanwhile.
pub(super) fn run(conn: Connection, stop: Receiver<()>) {
    loop {
        match stop.recv_timeout(CHECKPOINT_INTERVAL) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::debug!(error = %e, "store checkpoint failed; retried at the next tick");
        }
    }
}
