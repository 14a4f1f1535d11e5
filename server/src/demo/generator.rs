//! The generator loop: plans scenarios against the wall clock, sends each queued packet when its time
//! comes (at once for backfilled, past ones, throttled to the burst rate), and stops on shutdown, after
//! `count` packets or after `duration`.

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use super::lanes::Lanes;
use super::scenario::ScenarioSource;
use super::schedule::Schedule;
use super::{to_hep, DemoConfig, DemoError, DemoStats, HepTransport};
use crate::hep::encode;

/// Packets sent between checks of the burst cap.
const BURST_SLICE: u64 = 64;

/// Wall-clock time as µs since the epoch, read through Tokio's clock so sleeps and "now" agree.
#[derive(Clone, Copy, Debug)]
struct Clock {
    epoch_us: i64,
    origin: Instant,
}

impl Clock {
    fn start() -> Self {
        let epoch_us = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
        Clock {
            epoch_us,
            origin: Instant::now(),
        }
    }

    fn now_us(&self) -> i64 {
        self.epoch_us + micros(self.origin.elapsed())
    }

    fn instant_at(&self, ts_us: i64) -> Instant {
        let ahead = u64::try_from(ts_us.saturating_sub(self.epoch_us)).unwrap_or(0);
        self.origin + Duration::from_micros(ahead)
    }
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// Runs the generator until `shutdown` resolves or a `count` / `duration` limit is reached, and
/// returns what was sent. Send failures (receiver down, TCP reconnecting) are counted, not fatal.
///
/// # Errors
/// [`DemoError::InvalidRate`] for a rate that is not positive, [`DemoError::BindUdp`] when no UDP
/// socket can be bound.
pub async fn run(
    config: DemoConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<DemoStats, DemoError> {
    config.validate()?;
    let lanes = Lanes::open(
        config.target,
        config.transport != HepTransport::Tcp,
        config.transport != HepTransport::Udp,
    )
    .await?;
    let clock = Clock::start();
    let source = ScenarioSource::new(
        config.seed,
        config.long_call_messages,
        micros(config.long_call_span),
    );
    let mut schedule = Schedule::new(
        source,
        config.seed,
        config.rate,
        config.rate_unit,
        config.transport,
        clock.now_us() - micros(config.backfill),
    );
    let deadline = config.duration.map(|d| Instant::now() + d);
    let burst_pps = u64::from(config.burst_pps.max(1_000));
    let burst_slice_time = Duration::from_micros(BURST_SLICE * 1_000_000 / burst_pps);
    tracing::info!(
        target = %config.target,
        transport = ?config.transport,
        rate = config.rate,
        unit = ?config.rate_unit,
        backfill = ?config.backfill,
        "demo traffic generator started"
    );

    tokio::pin!(shutdown);
    let mut dispatched: u64 = 0;
    let mut slice_started = Instant::now();
    'run: loop {
        let now = clock.now_us();
        schedule.plan_until(now);
        while let Some((lane, packet)) = schedule.pop_due(now) {
            if config.count.is_some_and(|limit| dispatched >= limit) {
                break 'run;
            }
            dispatched += 1;
            match encode(&to_hep(&packet, config.auth_key.as_deref()), false) {
                Ok(bytes) => lanes.send(lane, bytes).await,
                Err(e) => {
                    tracing::debug!(error = %e, "demo packet not encodable");
                    lanes.counters().error(lane, "encode");
                }
            }
            if dispatched.is_multiple_of(BURST_SLICE) {
                let pause_until = slice_started + burst_slice_time;
                tokio::select! {
                    () = &mut shutdown => break 'run,
                    () = tokio::time::sleep_until(pause_until) => {}
                }
                slice_started = Instant::now();
            }
        }
        if config.count.is_some_and(|limit| dispatched >= limit) {
            break;
        }
        let mut wake = clock.instant_at(schedule.next_event_us());
        if let Some(deadline) = deadline {
            if Instant::now() >= deadline {
                break;
            }
            wake = wake.min(deadline);
        }
        tokio::select! {
            () = &mut shutdown => break,
            () = tokio::time::sleep_until(wake) => {}
        }
    }
    let stats = lanes.close().await;
    tracing::info!(
        sent = stats.sent,
        errors = stats.errors,
        "demo traffic generator stopped"
    );
    Ok(stats)
}
