//! The query string of both stream endpoints -> [`StreamRequest`]: the event filter plus the per-connection
//! options, with homer-core's semantics (reference `docs/hep-and-live-stream.md` §4.3). Pure.
//!
//! Unknown keys and unparsable values are ignored, not rejected, as homer-core does, so Homer 11 clients
//! that add their own keys keep working.

use hepscope_core::live::PROTO_SIP;

use super::event::{Origin, StreamEvent};

/// Which events a subscriber wants. Different keys combine with AND; repeated values with OR.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamFilter {
    /// `proto=N` (repeatable): HEP proto ids; empty = all.
    pub protos: Vec<u8>,
    /// `method=X` (repeatable), upper-cased: SIP CSeq methods; empty = all. Applies to SIP events only; a
    /// SIP event without parsed fields fails it.
    pub methods: Vec<String>,
    /// `only_requests=1`: drop SIP responses.
    pub only_requests: bool,
    /// Set by the node endpoint, not by clients: pass only events this process captured itself, so two nodes
    /// relaying each other cannot loop.
    pub local_only: bool,
}

impl StreamFilter {
    /// True when the event passes every condition.
    pub fn matches(&self, event: &StreamEvent) -> bool {
        if self.local_only && event.origin != Origin::Local {
            return false;
        }
        let event = &event.event;
        if !self.protos.is_empty() && !self.protos.contains(&event.proto) {
            return false;
        }
        if event.proto != PROTO_SIP {
            return true;
        }
        if !self.methods.is_empty() {
            let Some(sip) = &event.sip else { return false };
            if !self
                .methods
                .iter()
                .any(|m| m.eq_ignore_ascii_case(&sip.method))
            {
                return false;
            }
        }
        if self.only_requests && event.sip.as_ref().is_some_and(|s| s.is_response()) {
            return false;
        }
        true
    }
}

/// Everything a client asked for in the query string.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamRequest {
    /// Which events to send.
    pub filter: StreamFilter,
    /// `include_payload=1`: the client would like payloads (granted only by the payload policy).
    pub include_payload: bool,
    /// `history=N`: buffered matching events to replay on connect, before the endpoint's cap; 0 = none.
    pub history: usize,
    /// `stats=1` (hepscope extension): a `{"stats":{…}}` frame each second with this connection's drops.
    pub stats: bool,
}

impl StreamRequest {
    /// Reads the decoded `(key, value)` pairs of a query string.
    pub fn from_pairs(pairs: &[(String, String)]) -> StreamRequest {
        let mut request = StreamRequest::default();
        for (key, value) in pairs {
            match key.as_str() {
                "proto" => {
                    if let Ok(id) = value.trim().parse::<u8>() {
                        if !request.filter.protos.contains(&id) {
                            request.filter.protos.push(id);
                        }
                    }
                }
                "method" => {
                    let method = value.trim().to_ascii_uppercase();
                    if !method.is_empty() && !request.filter.methods.contains(&method) {
                        request.filter.methods.push(method);
                    }
                }
                "only_requests" => request.filter.only_requests = truthy(value),
                "include_payload" => request.include_payload = truthy(value),
                "stats" => request.stats = truthy(value),
                "history" => request.history = value.trim().parse::<usize>().unwrap_or(0),
                _ => {}
            }
        }
        request
    }
}

/// homer-core's truthy values: `1 t true y yes on`, any case.
fn truthy(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "1" | "t" | "true" | "y" | "yes" | "on"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use hepscope_core::live::{LiveEvent, LiveSip};

    fn pairs(query: &[(&str, &str)]) -> Vec<(String, String)> {
        query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn sip(method: &str, resp_code: &str) -> StreamEvent {
        StreamEvent::local(LiveEvent {
            sip: Some(LiveSip {
                method: method.into(),
                resp_code: resp_code.into(),
                ..LiveSip::default()
            }),
            ..other(PROTO_SIP).event
        })
    }

    fn other(proto: u8) -> StreamEvent {
        StreamEvent::local(LiveEvent {
            ts: 1,
            proto,
            ..LiveEvent::default()
        })
    }

    fn filter(query: &[(&str, &str)]) -> StreamFilter {
        StreamRequest::from_pairs(&pairs(query)).filter
    }

    #[test]
    fn empty_filter_passes_everything() {
        let f = filter(&[]);
        assert!(
            f.matches(&sip("INVITE", "")) && f.matches(&other(5)) && f.matches(&other(PROTO_SIP))
        );
    }

    #[test]
    fn proto_filter_is_an_or_over_repeated_values() {
        let f = filter(&[("proto", "5"), ("proto", "100"), ("proto", "x")]);
        assert_eq!(f.protos, vec![5, 100]);
        assert!(f.matches(&other(5)) && f.matches(&other(100)));
        assert!(!f.matches(&sip("INVITE", "")));
    }

    #[test]
    fn method_filter_is_case_insensitive_and_skips_non_sip() {
        let f = filter(&[("method", "invite"), ("method", "BYE")]);
        assert!(f.matches(&sip("INVITE", "")) && f.matches(&sip("bye", "200")));
        assert!(!f.matches(&sip("REGISTER", "")));
        assert!(f.matches(&other(5)), "non-SIP events pass a method filter");
        assert!(
            !f.matches(&other(PROTO_SIP)),
            "SIP without parsed fields fails it"
        );
    }

    #[test]
    fn only_requests_drops_sip_responses() {
        let f = filter(&[("only_requests", "1")]);
        assert!(f.matches(&sip("INVITE", "")));
        assert!(!f.matches(&sip("INVITE", "180")));
        assert!(f.matches(&other(100)));
        assert!(!filter(&[("only_requests", "0")]).only_requests);
    }

    #[test]
    fn keys_combine_with_and() {
        let f = filter(&[
            ("proto", "1"),
            ("method", "INVITE"),
            ("only_requests", "yes"),
        ]);
        assert!(f.matches(&sip("INVITE", "")));
        assert!(!f.matches(&sip("INVITE", "200")));
        assert!(!f.matches(&sip("BYE", "")));
        assert!(!f.matches(&other(5)));
    }

    #[test]
    fn local_only_refuses_relayed_events() {
        let f = StreamFilter {
            local_only: true,
            ..StreamFilter::default()
        };
        let relayed = StreamEvent {
            origin: Origin::Relayed,
            ..other(5)
        };
        assert!(f.matches(&other(5)) && !f.matches(&relayed));
    }

    #[test]
    fn options_read_truthy_values_and_history() {
        for yes in ["1", "t", "TRUE", "y", "Yes", "on"] {
            assert!(StreamRequest::from_pairs(&pairs(&[("include_payload", yes)])).include_payload);
        }
        for no in ["0", "false", "", "no", "2"] {
            assert!(!StreamRequest::from_pairs(&pairs(&[("include_payload", no)])).include_payload);
        }
        let r =
            StreamRequest::from_pairs(&pairs(&[("history", "20"), ("stats", "1"), ("zzz", "1")]));
        assert_eq!((r.history, r.stats), (20, true));
        assert_eq!(
            StreamRequest::from_pairs(&pairs(&[("history", "-3")])).history,
            0
        );
    }
}
