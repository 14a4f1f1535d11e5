//! The live stream's WebSocket client: connects on the page's origin (the session cookie
//! authenticates it), hands parsed frames to the page in batches every quarter second, and after a
//! failure reconnects on the [`Backoff`] schedule, counting down so the page can say when.

use std::time::Duration;

use futures::future::{select, Either};
use futures::StreamExt;
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::{Message, State};

use crate::domain::live::{parse_frame, Backoff, Frame};

/// How often frames are handed over (and the connection's state looked at), ms.
const TICK_MS: u64 = 250;

/// The connection as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkState {
    /// Opening the WebSocket.
    Connecting,
    /// Open.
    Connected,
    /// Closed or refused; the next attempt is in `retry_in_s` seconds.
    Disconnected { retry_in_s: u64 },
}

/// What one tick brings: the frames read, and how many messages could not be read.
#[derive(Debug, Default)]
pub struct Batch {
    pub frames: Vec<Frame>,
    pub unreadable: u64,
}

/// A socket closed when it is dropped: when the page's task is cleaned up mid-read (a new address,
/// the page left), the server sees the stream end at once instead of at garbage collection.
struct ClosedOnDrop(Option<WebSocket>);

impl ClosedOnDrop {
    fn socket(&mut self) -> &mut WebSocket {
        // Only `drop` takes the socket out.
        self.0.as_mut().expect("the socket is taken only on drop")
    }
}

impl Drop for ClosedOnDrop {
    fn drop(&mut self) {
        if let Some(ws) = self.0.take() {
            let _ = ws.close(None, None);
        }
    }
}

async fn sleep_ms(ms: u64) {
    let (tx, rx) = futures::channel::oneshot::channel::<()>();
    leptos::prelude::set_timeout(
        move || {
            let _ = tx.send(());
        },
        Duration::from_millis(ms),
    );
    let _ = rx.await;
}

/// Runs the connection to `url` until a callback returns false (the page is gone) or the task is
/// dropped (the page's effect cleaned it up). `on_state` hears every state change; `on_batch` gets a batch every tick
/// while connected, even an empty one, so the page can refresh its rate.
pub async fn run(
    url: String,
    on_state: impl Fn(LinkState) -> bool,
    on_batch: impl Fn(Batch) -> bool,
) {
    let mut backoff = Backoff::default();
    loop {
        if !on_state(LinkState::Connecting) {
            return;
        }
        if let Ok(ws) = WebSocket::open(&url) {
            let mut ws = ClosedOnDrop(Some(ws));
            let mut announced = false;
            let mut batch = Batch::default();
            // One timer across messages, so a busy stream still ticks.
            let mut tick = Box::pin(sleep_ms(TICK_MS));
            loop {
                match select(ws.socket().next(), &mut tick).await {
                    Either::Left((Some(Ok(Message::Text(text))), _)) => match parse_frame(&text) {
                        Ok(frame) => batch.frames.push(frame),
                        Err(_) => batch.unreadable += 1,
                    },
                    Either::Left((Some(Ok(Message::Bytes(_))), _)) => batch.unreadable += 1,
                    Either::Left((Some(Err(_)) | None, _)) => break,
                    Either::Right(((), _)) => {
                        tick = Box::pin(sleep_ms(TICK_MS));
                        if !announced && matches!(ws.socket().state(), State::Open) {
                            announced = true;
                            backoff.reset();
                            if !on_state(LinkState::Connected) {
                                return;
                            }
                        }
                        if announced && !on_batch(std::mem::take(&mut batch)) {
                            return;
                        }
                    }
                }
            }
            if !on_batch(batch) {
                return;
            }
        }
        let mut remaining = backoff.next_delay_ms(js_sys::Math::random());
        while remaining > 0 {
            if !on_state(LinkState::Disconnected {
                retry_in_s: remaining.div_ceil(1000),
            }) {
                return;
            }
            let step = remaining.min(1000);
            sleep_ms(step).await;
            remaining -= step;
        }
    }
}
