//! Which traffic the demo generator emits, in what order: a fixed catalogue first (so a short run or the
//! start-up backfill shows every case), then random picks. Each scenario is a list of fixture packets
//! starting at a given time, with log lines and REGISTER noise mixed in.
//!
//! Pure: no clock reads, no I/O. Deterministic from the seed and the start times passed in.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use app::domain::fixture::{
    call, log_packet, long_call, options_keepalive, register, CallOptions, Outcome, Packet,
    PacketKind, Rng, RtcpOptions, RtcpQuality, Transport,
};
use app::domain::sip::{scan, Method, StartLine};

/// The kinds of call scenario the generator emits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScenarioKind {
    /// A carrier -> SBC call ending as this outcome; answered calls carry good RTCP both ways.
    Call(Outcome),
    /// Carrier -> SBC -> PBX -> agent extension, the legs sharing `X-Acme-Call-ID`.
    ThreeLeg,
    /// An answered call whose RTCP shows heavy loss and jitter.
    BadRtcp,
    /// An answered call whose callee sends receiver reports only.
    RrOnly,
    /// An answered call over IPv6, with RTCP.
    Ipv6,
    /// An answered call with thousands of mid-dialog messages.
    LongCall,
}

/// The first scenarios of every run, in order: every outcome, then each special case once.
pub const CATALOGUE: [ScenarioKind; 11] = [
    ScenarioKind::Call(Outcome::Answered),
    ScenarioKind::Call(Outcome::Busy),
    ScenarioKind::Call(Outcome::Cancelled),
    ScenarioKind::Call(Outcome::NoAnswer),
    ScenarioKind::Call(Outcome::Failed),
    ScenarioKind::Call(Outcome::RingingOnly),
    ScenarioKind::ThreeLeg,
    ScenarioKind::BadRtcp,
    ScenarioKind::RrOnly,
    ScenarioKind::Ipv6,
    ScenarioKind::LongCall,
];

/// One REGISTER exchange is mixed in with every this many calls.
const CALLS_PER_REGISTER: u64 = 5;
/// Random picks choose a long call once in this many.
const LONG_CALL_ODDS: u64 = 200;
/// Percentage of single-leg calls signalled over TCP rather than UDP.
const SIP_OVER_TCP_PERCENT: u64 = 20;
/// Where the SBC's log lines come from: its private side, next to the PBX (IPv4 even on IPv6 calls).
const SBC_LOG_SOURCE: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5)), 5060);
const SBC_CAPTURE_ID: u32 = 2001;
const SBC_NODE: &str = "sbc-edge-1";

/// The packets of one scenario, sorted by time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// What kind of call it is.
    pub kind: ScenarioKind,
    /// Fixture packets with timestamps from the scenario's start, µs since the epoch.
    pub packets: Vec<Packet>,
}

/// Produces the generator's sequence of scenarios.
#[derive(Clone, Debug)]
pub struct ScenarioSource {
    rng: Rng,
    /// Calls emitted so far.
    calls: u64,
    /// SIP messages in a long call (about; see [`long_call`]).
    long_call_messages: usize,
    /// A long call's messages are squeezed in time to fit this span, µs (> 0).
    long_call_span_us: i64,
}

impl ScenarioSource {
    /// A source seeded with `seed`. Long calls get about `long_call_messages` SIP messages, compressed
    /// in time to last at most `long_call_span_us` (at least 1 ms).
    pub fn new(seed: u64, long_call_messages: usize, long_call_span_us: i64) -> Self {
        ScenarioSource {
            rng: Rng::new(seed),
            calls: 0,
            long_call_messages,
            long_call_span_us: long_call_span_us.max(1_000),
        }
    }

    /// The next call scenario, starting at `start_us`: the catalogue in order, then random picks.
    /// Every fifth call also brings a REGISTER exchange within a few seconds of its start.
    pub fn next_call(&mut self, start_us: i64) -> Scenario {
        let kind = match usize::try_from(self.calls)
            .ok()
            .and_then(|i| CATALOGUE.get(i))
        {
            Some(kind) => *kind,
            None => self.random_kind(),
        };
        self.calls += 1;
        let seed = self.rng.next_u64();
        let mut packets = self.play(kind, seed, start_us);
        if self.calls.is_multiple_of(CALLS_PER_REGISTER) {
            let at = start_us + self.rng.range(0, 5_000_000);
            packets.extend(register(self.rng.next_u64(), at));
        }
        packets.sort_by_key(|p| p.ts_us);
        Scenario { kind, packets }
    }

    /// One OPTIONS keepalive exchange (SBC -> carrier, 200 OK) at `start_us`.
    pub fn options(&mut self, start_us: i64) -> Vec<Packet> {
        options_keepalive(self.rng.next_u64(), start_us, 1)
    }

    fn random_kind(&mut self) -> ScenarioKind {
        if self.rng.below(LONG_CALL_ODDS) == 0 {
            return ScenarioKind::LongCall;
        }
        match self.rng.below(20) {
            0..=7 => ScenarioKind::Call(Outcome::Answered),
            8 => ScenarioKind::BadRtcp,
            9 => ScenarioKind::RrOnly,
            10..=11 => ScenarioKind::ThreeLeg,
            12 => ScenarioKind::Ipv6,
            pick => Outcome::ALL
                .get(usize::try_from(pick % 5 + 1).unwrap_or(1))
                .copied()
                .map_or(ScenarioKind::Call(Outcome::Busy), ScenarioKind::Call),
        }
    }

    fn play(&mut self, kind: ScenarioKind, seed: u64, start_us: i64) -> Vec<Packet> {
        let transport = if self.rng.chance(SIP_OVER_TCP_PERCENT) {
            Transport::Tcp
        } else {
            Transport::Udp
        };
        let with_rtcp = |rtcp: RtcpOptions| CallOptions {
            rtcp: Some(rtcp),
            transport,
            ..CallOptions::default()
        };
        let mut packets = match kind {
            ScenarioKind::Call(Outcome::Answered) => {
                call(seed, start_us, &with_rtcp(RtcpOptions::default()))
            }
            ScenarioKind::Call(outcome) => call(
                seed,
                start_us,
                &CallOptions {
                    outcome,
                    transport,
                    ..CallOptions::default()
                },
            ),
            ScenarioKind::ThreeLeg => app::domain::fixture::three_leg_call(seed, start_us),
            ScenarioKind::BadRtcp => call(
                seed,
                start_us,
                &with_rtcp(RtcpOptions {
                    quality: RtcpQuality::Bad,
                    ..RtcpOptions::default()
                }),
            ),
            ScenarioKind::RrOnly => call(
                seed,
                start_us,
                &with_rtcp(RtcpOptions {
                    callee_rr_only: true,
                    ..RtcpOptions::default()
                }),
            ),
            ScenarioKind::Ipv6 => app::domain::fixture::ipv6_call(seed, start_us),
            ScenarioKind::LongCall => compress(
                long_call(seed, start_us, self.long_call_messages),
                start_us,
                self.long_call_span_us,
            ),
        };
        if kind != ScenarioKind::ThreeLeg {
            packets.extend(sbc_log_lines(&packets));
        }
        packets
    }
}

/// Squeezes the packets' times towards `start_us` so the last one is at most `span_us` after it,
/// keeping their order. Packets already within the span are left alone.
pub fn compress(mut packets: Vec<Packet>, start_us: i64, span_us: i64) -> Vec<Packet> {
    let last = packets.iter().map(|p| p.ts_us).max().unwrap_or(start_us);
    let length = last - start_us;
    if length <= span_us || span_us <= 0 {
        return packets;
    }
    for packet in &mut packets {
        let offset = i128::from(packet.ts_us - start_us);
        let squeezed = offset * i128::from(span_us) / i128::from(length);
        packet.ts_us = start_us + i64::try_from(squeezed).unwrap_or(span_us);
    }
    packets
}

/// The SBC's log lines for a single-leg call: one when the INVITE arrives, one at the final response.
fn sbc_log_lines(packets: &[Packet]) -> Vec<Packet> {
    let mut lines = Vec::new();
    for packet in packets.iter().filter(|p| p.kind == PacketKind::Sip) {
        let Ok(message) = scan(&packet.payload) else {
            continue;
        };
        let is_invite = message.cseq().is_some_and(|c| c.method == Method::Invite);
        if !is_invite {
            continue;
        }
        let text = match message.start_line() {
            StartLine::Request { .. } if lines.is_empty() => format!(
                "{SBC_NODE}: inbound call {} from {} to {}, routing to pbx-1",
                packet.call_id,
                message.from_user().unwrap_or("anonymous"),
                message.to_user().unwrap_or("unknown"),
            ),
            StartLine::Response { code, reason } if *code >= 200 => format!(
                "{SBC_NODE}: call {} got final response {code} {reason}",
                packet.call_id
            ),
            _ => continue,
        };
        let mut line = log_packet(packet.ts_us + 500, &packet.call_id, &text);
        line.src = SBC_LOG_SOURCE;
        line.capture_id = SBC_CAPTURE_ID;
        line.node = SBC_NODE.to_owned();
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: i64 = 1_700_000_000_000_000;

    fn statuses(packets: &[Packet]) -> Vec<u16> {
        packets
            .iter()
            .filter_map(|p| scan(&p.payload).ok())
            .filter_map(|m| m.status())
            .collect()
    }

    #[test]
    fn source_plays_the_catalogue_first() {
        let mut source = ScenarioSource::new(7, 2_000, 60_000_000);
        let kinds: Vec<ScenarioKind> = (0..CATALOGUE.len())
            .map(|i| source.next_call(START + i as i64 * 1_000_000).kind)
            .collect();
        assert_eq!(kinds, CATALOGUE.to_vec());
    }

    #[test]
    fn source_is_deterministic_for_a_seed() {
        let mut a = ScenarioSource::new(42, 50, 60_000_000);
        let mut b = ScenarioSource::new(42, 50, 60_000_000);
        for i in 0..30 {
            assert_eq!(a.next_call(START + i), b.next_call(START + i));
        }
    }

    #[test]
    fn scenario_packets_are_sorted_and_start_at_the_start_time() {
        let mut source = ScenarioSource::new(3, 50, 60_000_000);
        for i in 0..40 {
            let start = START + i * 10_000_000;
            let scenario = source.next_call(start);
            let times: Vec<i64> = scenario.packets.iter().map(|p| p.ts_us).collect();
            assert!(
                times.windows(2).all(|w| w[0] <= w[1]),
                "{:?}",
                scenario.kind
            );
            assert!(times.iter().all(|&t| t >= start));
        }
    }

    #[test]
    fn long_call_has_thousands_of_messages_within_its_span() {
        let mut source = ScenarioSource::new(9, 2_000, 60_000_000);
        let long = (0..CATALOGUE.len())
            .map(|_| source.next_call(START))
            .find(|s| s.kind == ScenarioKind::LongCall)
            .unwrap();
        let sip = long.packets.iter().filter(|p| p.kind == PacketKind::Sip);
        assert!(sip.count() >= 1_990);
        let last = long.packets.iter().map(|p| p.ts_us).max().unwrap();
        assert!(last - START <= 60_000_000, "{}", last - START);
    }

    #[test]
    fn compress_keeps_short_scenarios_unchanged() {
        let mut source = ScenarioSource::new(1, 50, 600_000_000);
        let scenario = source.next_call(START);
        assert_eq!(
            compress(scenario.packets.clone(), START, 600_000_000),
            scenario.packets
        );
    }

    #[test]
    fn busy_call_logs_its_invite_and_final_response() {
        let mut source = ScenarioSource::new(5, 50, 60_000_000);
        let _answered = source.next_call(START);
        let busy = source.next_call(START);
        assert_eq!(busy.kind, ScenarioKind::Call(Outcome::Busy));
        assert!(statuses(&busy.packets).contains(&486));
        let logs: Vec<String> = busy
            .packets
            .iter()
            .filter(|p| p.kind == PacketKind::Log)
            .map(|p| String::from_utf8_lossy(&p.payload).into_owned())
            .collect();
        assert_eq!(logs.len(), 2, "{logs:?}");
        assert!(logs[0].contains("inbound call"), "{logs:?}");
        assert!(logs[1].contains("486"), "{logs:?}");
    }

    #[test]
    fn every_fifth_call_brings_a_register() {
        let mut source = ScenarioSource::new(11, 50, 60_000_000);
        let registers: Vec<bool> = (0..10)
            .map(|_| {
                source.next_call(START).packets.iter().any(|p| {
                    scan(&p.payload)
                        .ok()
                        .and_then(|m| m.cseq().map(|c| c.method == Method::Register))
                        .unwrap_or(false)
                })
            })
            .collect();
        assert_eq!(
            registers,
            [false, false, false, false, true, false, false, false, false, true]
        );
    }
}
