//! Groups HOMER search rows (messages) by Call-ID into call summaries with a status.
//!
//! Status rules (dex's): answered = a 2xx to an INVITE; busy = 486; cancelled = 487 (or a
//! CANCEL with no final answer); no answer = 408 or 480; failed = any other 4xx–6xx;
//! ringing = only 1xx after an INVITE. A 401/407 challenge followed by a new INVITE is the
//! normal digest handshake (RFC 3261 §22.2) and does not count. Rows are matched to the INVITE
//! by their CSeq method, since HOMER keeps the reply code in `method` for responses.
//!
//! Direction (our rule; dex's is not documented): the first INVITE's source → destination, each
//! end named by its host alias when one is known, else by its address (the port left out when it
//! is SIP's default 5060); alias names longer than [`DIRECTION_NAME_CHARS`] are cut with `…`,
//! addresses never (a cut address would name another host). Pure.

use std::collections::BTreeMap;
use std::fmt;

use crate::domain::homer::HomerRow;
pub use crate::domain::host::HostPort;

/// A call's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallStatus {
    /// A 2xx answered an INVITE.
    Answered,
    /// 486 Busy Here.
    Busy,
    /// 487 Request Terminated, or a CANCEL without any final answer.
    Cancelled,
    /// 408 Request Timeout or 480 Temporarily Unavailable.
    NoAnswer,
    /// 3xx: the call was redirected.
    Redirected {
        /// The reply code.
        code: u16,
    },
    /// Any other 4xx–6xx.
    Failed {
        /// The reply code.
        code: u16,
    },
    /// A 401/407 challenge that no new INVITE followed.
    Unauthorized {
        /// The reply code.
        code: u16,
    },
    /// Only provisional (1xx) answers so far.
    Ringing,
    /// An INVITE without any answer in the rows.
    NoResponse,
    /// No INVITE at all (REGISTER, OPTIONS, MESSAGE, ... dialogs).
    NotACall,
}

impl CallStatus {
    /// A short lowercase label for lists.
    pub fn label(self) -> &'static str {
        match self {
            CallStatus::Answered => "answered",
            CallStatus::Busy => "busy",
            CallStatus::Cancelled => "cancelled",
            CallStatus::NoAnswer => "no answer",
            CallStatus::Redirected { .. } => "redirected",
            CallStatus::Failed { .. } => "failed",
            CallStatus::Unauthorized { .. } => "unauthorized",
            CallStatus::Ringing => "ringing",
            CallStatus::NoResponse => "no response",
            CallStatus::NotACall => "not a call",
        }
    }
}

impl fmt::Display for CallStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallStatus::Redirected { code }
            | CallStatus::Failed { code }
            | CallStatus::Unauthorized { code } => write!(f, "{} ({code})", self.label()),
            _ => f.write_str(self.label()),
        }
    }
}

/// One Call-ID's messages summed up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallSummary {
    /// The Call-ID (HOMER `sid`).
    pub call_id: String,
    /// Earliest message, epoch ms.
    pub first_ts_ms: i64,
    /// Latest message, epoch ms.
    pub last_ts_ms: i64,
    /// From user of the first INVITE (else of the first message).
    pub caller: String,
    /// To user of the first INVITE (else of the first message).
    pub callee: String,
    /// Source of the first INVITE.
    pub src: Option<HostPort>,
    /// Destination of the first INVITE.
    pub dst: Option<HostPort>,
    /// `source → destination` of the first INVITE ([`direction`]); empty without an INVITE.
    /// [`group_calls`] names hosts by address; [`name_directions`] applies aliases.
    pub direction: String,
    /// The outcome.
    pub status: CallStatus,
    /// Answer (first 2xx to an INVITE) to the first BYE after it, ms; `None` if either is
    /// missing.
    pub duration_ms: Option<i64>,
    /// First INVITE to the first 18x answering an INVITE, ms.
    pub post_dial_delay_ms: Option<i64>,
    /// Rows in the group.
    pub message_count: usize,
    /// Request methods seen, upper case, in order of first appearance.
    pub methods: Vec<String>,
}

fn is_request(row: &HomerRow, method: &str) -> bool {
    row.status_code().is_none() && row.method.trim().eq_ignore_ascii_case(method)
}

fn invite_reply(row: &HomerRow) -> Option<u16> {
    let code = row.status_code()?;
    row.cseq_method()
        .is_some_and(|m| m.eq_ignore_ascii_case("INVITE"))
        .then_some(code)
}

/// Whether `rows` (one call's messages) contain the call's end: a final failure to an INVITE, a
/// BYE after a 2xx to an INVITE, or no INVITE at all (nothing to end). The call view uses it to
/// follow a long call further before saying its end is missing.
pub fn has_end(rows: &[HomerRow]) -> bool {
    let invite_reply_is = |test: fn(u16) -> bool| {
        rows.iter()
            .any(|r| r.cseq_method() == Some("INVITE") && r.status_code().is_some_and(test))
    };
    let answered = invite_reply_is(|c| c == 200);
    let final_failure = invite_reply_is(|c| c >= 300);
    let bye = rows.iter().any(|r| r.method == "BYE");
    final_failure || (answered && bye) || !rows.iter().any(|r| r.method == "INVITE")
}

/// Groups rows by Call-ID (`sid`, else `callid`; rows with neither are skipped) and sums each
/// group up. The result is sorted newest first (by first message), then by Call-ID.
pub fn group_calls(rows: &[HomerRow]) -> Vec<CallSummary> {
    let mut groups: BTreeMap<&str, Vec<&HomerRow>> = BTreeMap::new();
    for row in rows {
        let id = if row.sid.is_empty() {
            &row.callid
        } else {
            &row.sid
        };
        if !id.is_empty() {
            groups.entry(id.as_str()).or_default().push(row);
        }
    }
    let mut calls: Vec<CallSummary> = groups
        .into_iter()
        .map(|(id, group)| summarize(id, group))
        .collect();
    calls.sort_by(|a, b| {
        b.first_ts_ms
            .cmp(&a.first_ts_ms)
            .then_with(|| a.call_id.cmp(&b.call_id))
    });
    calls
}

fn summarize(call_id: &str, mut rows: Vec<&HomerRow>) -> CallSummary {
    // Rows without a time sort first; they cannot be placed, and stay counted.
    rows.sort_by_key(|r| r.time_ms());
    let times: Vec<i64> = rows.iter().filter_map(|r| r.time_ms()).collect();
    let first_ts_ms = times.iter().copied().min().unwrap_or(0);
    let last_ts_ms = times.iter().copied().max().unwrap_or(0);

    let first_invite = rows.iter().find(|r| is_request(r, "INVITE")).copied();
    let identity = first_invite.or_else(|| rows.first().copied());
    let host = |ip: &str, port: Option<u16>| HostPort {
        ip: ip.to_owned(),
        port,
    };

    let answered_at = rows
        .iter()
        .find(|r| invite_reply(r).is_some_and(|c| (200..300).contains(&c)))
        .and_then(|r| r.time_ms());
    let duration_ms = answered_at.and_then(|answer| {
        rows.iter()
            .filter(|r| is_request(r, "BYE"))
            .filter_map(|r| r.time_ms())
            .find(|t| *t >= answer)
            .map(|bye| bye - answer)
    });
    let post_dial_delay_ms = first_invite.and_then(|invite| {
        let start = invite.time_ms()?;
        let ringing = rows
            .iter()
            .find(|r| invite_reply(r).is_some_and(|c| (180..190).contains(&c)))?
            .time_ms()?;
        Some(ringing - start)
    });

    let mut methods: Vec<String> = Vec::new();
    for row in &rows {
        if row.status_code().is_none() {
            let m = row.method.trim().to_ascii_uppercase();
            if !m.is_empty() && !methods.contains(&m) {
                methods.push(m);
            }
        }
    }

    CallSummary {
        call_id: call_id.to_owned(),
        first_ts_ms,
        last_ts_ms,
        caller: identity.map(|r| r.from_user.clone()).unwrap_or_default(),
        callee: identity.map(|r| r.to_user.clone()).unwrap_or_default(),
        src: first_invite.map(|r| host(&r.src_ip, r.src_port)),
        dst: first_invite.map(|r| host(&r.dst_ip, r.dst_port)),
        direction: first_invite
            .map(|r| {
                direction(
                    &host(&r.src_ip, r.src_port),
                    &host(&r.dst_ip, r.dst_port),
                    |_| None,
                )
            })
            .unwrap_or_default(),
        status: status(&rows, answered_at.is_some(), first_invite.is_some()),
        duration_ms,
        post_dial_delay_ms,
        message_count: rows.len(),
        methods,
    }
}

/// Alias names longer than this many characters are cut (with `…`) in a direction.
pub const DIRECTION_NAME_CHARS: usize = 24;
/// SIP's default port, left out of directions.
const SIP_PORT: u16 = 5060;

/// One end of a direction: its alias (cut to [`DIRECTION_NAME_CHARS`]), else its address with the
/// port unless that is 5060.
pub fn direction_end(host: &HostPort, alias: Option<&str>) -> String {
    if let Some(name) = alias.map(str::trim).filter(|n| !n.is_empty()) {
        if name.chars().count() <= DIRECTION_NAME_CHARS {
            return name.to_owned();
        }
        let mut cut: String = name.chars().take(DIRECTION_NAME_CHARS - 1).collect();
        cut.push('…');
        return cut;
    }
    let ip = host.ip.trim();
    match host.port.filter(|p| *p != SIP_PORT) {
        Some(port) => HostPort {
            ip: ip.to_owned(),
            port: Some(port),
        }
        .to_string(),
        None => ip.to_owned(),
    }
}

/// `source → destination`, each end named by `alias_of` when it knows the host.
pub fn direction<'a>(
    src: &HostPort,
    dst: &HostPort,
    alias_of: impl Fn(&HostPort) -> Option<&'a str>,
) -> String {
    format!(
        "{} → {}",
        direction_end(src, alias_of(src)),
        direction_end(dst, alias_of(dst))
    )
}

/// Renames the calls' directions with host aliases (`alias_of`); calls without an INVITE keep an
/// empty direction.
pub fn name_directions<'a>(
    calls: &mut [CallSummary],
    alias_of: impl Fn(&HostPort) -> Option<&'a str> + Copy,
) {
    for call in calls {
        if let (Some(src), Some(dst)) = (&call.src, &call.dst) {
            call.direction = direction(src, dst, alias_of);
        }
    }
}

/// Applies the status rules to time-ordered rows.
fn status(rows: &[&HomerRow], answered: bool, has_invite: bool) -> CallStatus {
    if answered {
        return CallStatus::Answered;
    }
    let replies: Vec<(usize, u16)> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| invite_reply(r).map(|c| (i, c)))
        .collect();
    if !has_invite && replies.is_empty() {
        return CallStatus::NotACall;
    }
    let last_invite = rows.iter().rposition(|r| is_request(r, "INVITE"));
    // A challenge answered by a later INVITE (the retry with credentials) is not an outcome.
    let finals: Vec<u16> = replies
        .iter()
        .filter(|(i, code)| {
            *code >= 300 && !(matches!(code, 401 | 407) && last_invite.is_some_and(|l| l > *i))
        })
        .map(|(_, code)| *code)
        .collect();
    let real = finals.iter().rev().find(|c| !matches!(c, 401 | 407));
    if let Some(&code) = real {
        return match code {
            486 => CallStatus::Busy,
            487 => CallStatus::Cancelled,
            408 | 480 => CallStatus::NoAnswer,
            300..=399 => CallStatus::Redirected { code },
            _ => CallStatus::Failed { code },
        };
    }
    if rows.iter().any(|r| is_request(r, "CANCEL")) {
        return CallStatus::Cancelled;
    }
    if let Some(&code) = finals.last() {
        return CallStatus::Unauthorized { code };
    }
    if replies.iter().any(|(_, code)| *code < 200) {
        return CallStatus::Ringing;
    }
    CallStatus::NoResponse
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row of call `sid` at `ms` (epoch ms): a request (`method`) or a reply (`"200"`),
    /// with CSeq `cseq`.
    fn row(sid: &str, ms: i64, method: &str, cseq: &str) -> HomerRow {
        HomerRow {
            sid: sid.into(),
            time_seconds: Some(ms / 1000),
            time_useconds: Some((ms % 1000) * 1000),
            method: method.into(),
            cseq: cseq.into(),
            from_user: "1001".into(),
            to_user: "2002".into(),
            src_ip: "10.0.0.5".into(),
            src_port: Some(5060),
            dst_ip: "10.0.0.9".into(),
            dst_port: Some(5060),
            ..HomerRow::default()
        }
    }

    #[test]
    fn has_end_needs_a_bye_after_an_answer_or_a_final_failure() {
        let invite = row("a", 0, "INVITE", "1 INVITE");
        let ok = row("a", 10, "200", "1 INVITE");
        let bye = row("a", 20, "BYE", "2 BYE");
        assert!(!has_end(std::slice::from_ref(&invite)), "ringing");
        assert!(
            !has_end(&[invite.clone(), ok.clone()]),
            "answered, still up"
        );
        assert!(has_end(&[invite.clone(), ok, bye]), "answered then hung up");
        assert!(
            has_end(&[invite.clone(), row("a", 10, "486", "1 INVITE")]),
            "busy"
        );
        assert!(
            !has_end(&[invite, row("a", 10, "200", "3 OPTIONS")]),
            "a 200 to another method is no answer"
        );
        assert!(has_end(&[row("a", 0, "OPTIONS", "1 OPTIONS")]), "no INVITE");
        assert!(has_end(&[]), "no messages");
    }

    fn call(rows: &[HomerRow]) -> CallSummary {
        let mut calls = group_calls(rows);
        assert_eq!(calls.len(), 1);
        calls.remove(0)
    }

    fn invite_with(final_code: &str) -> Vec<HomerRow> {
        vec![
            row("c", 1_000, "INVITE", "1 INVITE"),
            row("c", 1_050, "100", "1 INVITE"),
            row("c", 2_000, "180", "1 INVITE"),
            row("c", 9_000, final_code, "1 INVITE"),
            row("c", 9_010, "ACK", "1 ACK"),
        ]
    }

    #[test]
    fn status_case_table() {
        let cases = [
            ("486", CallStatus::Busy),
            ("487", CallStatus::Cancelled),
            ("408", CallStatus::NoAnswer),
            ("480", CallStatus::NoAnswer),
            ("404", CallStatus::Failed { code: 404 }),
            ("503", CallStatus::Failed { code: 503 }),
            ("603", CallStatus::Failed { code: 603 }),
            ("302", CallStatus::Redirected { code: 302 }),
            ("200", CallStatus::Answered),
        ];
        for (code, expected) in cases {
            assert_eq!(call(&invite_with(code)).status, expected, "final {code}");
        }
    }

    #[test]
    fn answered_call_has_duration_pdd_and_first_invite_hosts() {
        let mut rows = invite_with("200");
        rows.push(row("c", 69_000, "BYE", "2 BYE"));
        rows.push(row("c", 69_020, "200", "2 BYE"));
        let c = call(&rows);
        assert_eq!(c.status, CallStatus::Answered);
        assert_eq!(c.duration_ms, Some(60_000));
        assert_eq!(c.post_dial_delay_ms, Some(1_000));
        assert_eq!((c.first_ts_ms, c.last_ts_ms), (1_000, 69_020));
        assert_eq!(c.message_count, 7);
        assert_eq!(c.methods, vec!["INVITE", "ACK", "BYE"]);
        assert_eq!((c.caller.as_str(), c.callee.as_str()), ("1001", "2002"));
        assert_eq!(c.src.unwrap().to_string(), "10.0.0.5:5060");
        assert_eq!(c.dst.unwrap().to_string(), "10.0.0.9:5060");
        assert_eq!(c.direction, "10.0.0.5 → 10.0.0.9");
    }

    #[test]
    fn only_provisional_replies_is_ringing() {
        let rows = vec![
            row("c", 1_000, "INVITE", "1 INVITE"),
            row("c", 1_100, "100", "1 INVITE"),
            row("c", 1_500, "183", "1 INVITE"),
        ];
        let c = call(&rows);
        assert_eq!(c.status, CallStatus::Ringing);
        assert_eq!(c.duration_ms, None);
        assert_eq!(c.post_dial_delay_ms, Some(500));
    }

    #[test]
    fn cancel_without_final_is_cancelled_and_invite_alone_is_no_response() {
        let rows = vec![
            row("c", 1_000, "INVITE", "1 INVITE"),
            row("c", 2_000, "180", "1 INVITE"),
            row("c", 3_000, "CANCEL", "1 CANCEL"),
            row("c", 3_010, "200", "1 CANCEL"),
        ];
        assert_eq!(call(&rows).status, CallStatus::Cancelled);
        assert_eq!(call(&rows[..1]).status, CallStatus::NoResponse);
    }

    #[test]
    fn auth_challenge_then_answer_is_answered_not_failed() {
        let rows = vec![
            row("c", 1_000, "INVITE", "1 INVITE"),
            row("c", 1_010, "401", "1 INVITE"),
            row("c", 1_020, "ACK", "1 ACK"),
            row("c", 1_100, "INVITE", "2 INVITE"),
            row("c", 1_500, "180", "2 INVITE"),
            row("c", 4_000, "200", "2 INVITE"),
        ];
        let c = call(&rows);
        assert_eq!(c.status, CallStatus::Answered);
        assert_eq!(c.post_dial_delay_ms, Some(500));
    }

    #[test]
    fn auth_challenge_then_ringing_is_ringing() {
        let rows = vec![
            row("c", 1_000, "INVITE", "1 INVITE"),
            row("c", 1_010, "407", "1 INVITE"),
            row("c", 1_100, "INVITE", "2 INVITE"),
            row("c", 1_500, "180", "2 INVITE"),
        ];
        assert_eq!(call(&rows).status, CallStatus::Ringing);
    }

    #[test]
    fn unanswered_challenge_is_unauthorized() {
        let rows = vec![
            row("c", 1_000, "INVITE", "1 INVITE"),
            row("c", 1_010, "401", "1 INVITE"),
            row("c", 1_020, "ACK", "1 ACK"),
        ];
        assert_eq!(call(&rows).status, CallStatus::Unauthorized { code: 401 });
    }

    #[test]
    fn failed_reinvite_keeps_answered_call_answered() {
        let mut rows = invite_with("200");
        rows.push(row("c", 20_000, "INVITE", "2 INVITE"));
        rows.push(row("c", 20_010, "491", "2 INVITE"));
        rows.push(row("c", 30_000, "BYE", "3 BYE"));
        let c = call(&rows);
        assert_eq!(c.status, CallStatus::Answered);
        assert_eq!(c.duration_ms, Some(21_000));
        assert_eq!(c.methods, vec!["INVITE", "ACK", "BYE"]);
    }

    #[test]
    fn register_only_dialog_is_not_a_call() {
        let rows = vec![
            row("r", 1_000, "REGISTER", "1 REGISTER"),
            row("r", 1_010, "401", "1 REGISTER"),
            row("r", 1_100, "REGISTER", "2 REGISTER"),
            row("r", 1_110, "200", "2 REGISTER"),
        ];
        let c = call(&rows);
        assert_eq!(c.status, CallStatus::NotACall);
        assert_eq!(c.src, None);
        assert_eq!(c.direction, "");
        assert_eq!(c.methods, vec!["REGISTER"]);
    }

    #[test]
    fn calls_are_grouped_by_call_id_and_sorted_newest_first() {
        let rows = vec![
            row("old", 1_000, "INVITE", "1 INVITE"),
            row("new", 5_000, "OPTIONS", "1 OPTIONS"),
            row("old", 1_500, "486", "1 INVITE"),
            HomerRow {
                sid: String::new(),
                callid: "fallback".into(),
                ..row("", 3_000, "INVITE", "1 INVITE")
            },
            row("", 4_000, "INVITE", "1 INVITE"),
        ];
        let calls = group_calls(&rows);
        let ids: Vec<&str> = calls.iter().map(|c| c.call_id.as_str()).collect();
        assert_eq!(ids, vec!["new", "fallback", "old"]);
        assert_eq!(calls[2].status, CallStatus::Busy);
        assert_eq!(calls[2].status.to_string(), "busy");
        assert_eq!(CallStatus::Failed { code: 503 }.to_string(), "failed (503)");
    }

    #[test]
    fn ipv6_hosts_are_bracketed() {
        let host = HostPort {
            ip: "2001:db8::1".into(),
            port: Some(5060),
        };
        assert_eq!(host.to_string(), "[2001:db8::1]:5060");
    }

    #[test]
    fn direction_follows_the_first_invite_not_the_first_message() {
        let mut options = row("c", 500, "OPTIONS", "1 OPTIONS");
        options.src_ip = "192.0.2.1".into();
        let mut invite = row("c", 1_000, "INVITE", "1 INVITE");
        invite.dst_port = Some(5080);
        let mut reply = row("c", 1_100, "180", "1 INVITE");
        reply.src_ip = "10.0.0.9".into();
        reply.dst_ip = "10.0.0.5".into();
        let c = call(&[options, invite, reply]);
        assert_eq!(c.direction, "10.0.0.5 → 10.0.0.9:5080");
    }

    #[test]
    fn direction_names_hosts_by_alias_where_known() {
        let mut calls = group_calls(&invite_with("200"));
        name_directions(&mut calls, |h: &HostPort| {
            (h.ip == "10.0.0.9").then_some("core-sbc")
        });
        assert_eq!(calls[0].direction, "10.0.0.5 → core-sbc");
    }

    #[test]
    fn direction_ends_are_shortened_sensibly() {
        let v6 = HostPort {
            ip: "2001:db8::1".into(),
            port: Some(5061),
        };
        assert_eq!(direction_end(&v6, None), "[2001:db8::1]:5061");
        let default_port = HostPort {
            ip: "2001:db8::1".into(),
            port: Some(5060),
        };
        assert_eq!(direction_end(&default_port, None), "2001:db8::1");
        let long = "carrier-interconnect-frankfurt-2";
        let cut = direction_end(&v6, Some(long));
        assert_eq!(cut.chars().count(), DIRECTION_NAME_CHARS);
        assert!(cut.starts_with("carrier-interconnect-f") && cut.ends_with('…'));
        assert_eq!(direction_end(&v6, Some("  ")), "[2001:db8::1]:5061");
        assert_eq!(direction_end(&v6, Some("µ-sbc")), "µ-sbc");
    }
}
