//! The live view's state in the URL (`/live?proto=1&method=INVITE&only_requests=1&history=50&follow=…`)
//! and the stream request it makes. Defaults are left out of the URL; unknown keys and bad values are
//! ignored, so a hand-edited link still opens.

use crate::domain::percent::{percent_decode, percent_encode};

/// The server's cap on `history` (`[coordinator.hep_stream] history_limit`).
pub const MAX_HISTORY: u32 = 200;
/// Events replayed on connect when the URL does not say.
const DEFAULT_HISTORY: u32 = 50;

/// The protocols offered by the filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    /// SIP (HEP 1).
    Sip,
    /// RTCP (HEP 5).
    Rtcp,
    /// Log lines (HEP 100).
    Log,
}

impl Proto {
    /// Every offered protocol, in menu order.
    pub const ALL: [Proto; 3] = [Proto::Sip, Proto::Rtcp, Proto::Log];

    /// The HEP proto id.
    pub fn id(self) -> u32 {
        match self {
            Proto::Sip => 1,
            Proto::Rtcp => 5,
            Proto::Log => 100,
        }
    }

    /// The name shown in the menu.
    pub fn label(self) -> &'static str {
        match self {
            Proto::Sip => "SIP",
            Proto::Rtcp => "RTCP",
            Proto::Log => "Logs",
        }
    }

    /// The protocol of a HEP proto id, if offered.
    pub fn from_id(id: u32) -> Option<Proto> {
        Proto::ALL.into_iter().find(|p| p.id() == id)
    }
}

/// The live view's URL query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveQuery {
    /// Only this protocol; `None` for all.
    pub proto: Option<Proto>,
    /// SIP CSeq methods (upper case, no repeats); empty for all.
    pub methods: Vec<String>,
    /// Drop SIP responses.
    pub only_requests: bool,
    /// Buffered events replayed on connect (at most [`MAX_HISTORY`]).
    pub history: u32,
    /// The Call-ID shown as a live ladder.
    pub follow: Option<String>,
}

impl Default for LiveQuery {
    fn default() -> Self {
        Self {
            proto: None,
            methods: Vec::new(),
            only_requests: false,
            history: DEFAULT_HISTORY,
            follow: None,
        }
    }
}

fn truthy(value: &str) -> bool {
    matches!(
        value.to_ascii_lowercase().as_str(),
        "1" | "t" | "true" | "y" | "yes" | "on"
    )
}

impl LiveQuery {
    /// Reads a query string (leading `?` allowed).
    pub fn from_query_string(search: &str) -> LiveQuery {
        let mut q = LiveQuery::default();
        for part in search.trim_start_matches('?').split('&') {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            let value = percent_decode(value);
            match key {
                "proto" => {
                    if let Some(p) = value.trim().parse().ok().and_then(Proto::from_id) {
                        q.proto = Some(p);
                    }
                }
                "method" => q.add_method(&value),
                "only_requests" => q.only_requests = truthy(value.trim()),
                "history" => {
                    if let Ok(n) = value.trim().parse::<u32>() {
                        q.history = n.min(MAX_HISTORY);
                    }
                }
                "follow" if !value.trim().is_empty() => q.follow = Some(value.trim().to_owned()),
                _ => {}
            }
        }
        q
    }

    /// Adds a method filter (trimmed, upper case; blanks and repeats ignored).
    pub fn add_method(&mut self, method: &str) {
        let method = method.trim().to_ascii_uppercase();
        if !method.is_empty() && !self.methods.contains(&method) {
            self.methods.push(method);
        }
    }

    /// The page's query string, `""` for the defaults, else starting with `?`.
    pub fn to_search(&self) -> String {
        let mut parts = Vec::new();
        if let Some(p) = self.proto {
            parts.push(format!("proto={}", p.id()));
        }
        for m in &self.methods {
            parts.push(format!("method={}", percent_encode(m)));
        }
        if self.only_requests {
            parts.push("only_requests=1".to_owned());
        }
        if self.history != DEFAULT_HISTORY {
            parts.push(format!("history={}", self.history));
        }
        if let Some(id) = &self.follow {
            parts.push(format!("follow={}", percent_encode(id)));
        }
        join(&parts)
    }

    /// The stream's query string. Following a call drops the method and request filters (the ladder
    /// needs every message of the call), replays as much history as allowed and asks for payloads
    /// (the server sends them only to admins when allowed). Always asks for stats frames.
    pub fn stream_search(&self) -> String {
        let mut parts = Vec::new();
        if let Some(p) = self.proto {
            parts.push(format!("proto={}", p.id()));
        }
        if self.follow.is_some() {
            parts.push(format!("history={MAX_HISTORY}"));
            parts.push("include_payload=1".to_owned());
        } else {
            for m in &self.methods {
                parts.push(format!("method={}", percent_encode(m)));
            }
            if self.only_requests {
                parts.push("only_requests=1".to_owned());
            }
            if self.history > 0 {
                parts.push(format!("history={}", self.history.min(MAX_HISTORY)));
            }
        }
        parts.push("stats=1".to_owned());
        join(&parts)
    }

    /// The WebSocket address on the page's own origin: `protocol` is the page's (`https:` → `wss:`).
    pub fn ws_url(&self, protocol: &str, host: &str) -> String {
        let scheme = if protocol.eq_ignore_ascii_case("https:") {
            "wss:"
        } else {
            "ws:"
        };
        format!("{scheme}//{host}/api/v4/stream/hep{}", self.stream_search())
    }
}

fn join(parts: &[String]) -> String {
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_query_round_trips_through_the_url() {
        let q = LiveQuery {
            proto: Some(Proto::Sip),
            methods: vec!["INVITE".into(), "BYE".into()],
            only_requests: true,
            history: 20,
            follow: Some("a b@host".into()),
        };
        let search = q.to_search();
        assert_eq!(
            search,
            "?proto=1&method=INVITE&method=BYE&only_requests=1&history=20&follow=a%20b%40host"
        );
        assert_eq!(LiveQuery::from_query_string(&search), q);
    }

    #[test]
    fn live_query_defaults_leave_the_url_empty() {
        assert_eq!(LiveQuery::default().to_search(), "");
        assert_eq!(LiveQuery::from_query_string(""), LiveQuery::default());
    }

    #[test]
    fn live_query_ignores_bad_values_and_caps_history() {
        let q = LiveQuery::from_query_string(
            "?proto=77&method=%20invite&method=INVITE&method=&history=9999&only_requests=yes&x=1&follow=",
        );
        assert_eq!(q.proto, None);
        assert_eq!(q.methods, ["INVITE"]);
        assert_eq!(q.history, MAX_HISTORY);
        assert!(q.only_requests);
        assert_eq!(q.follow, None);
        assert_eq!(LiveQuery::from_query_string("?history=-1").history, 50);
    }

    #[test]
    fn stream_search_carries_the_filters_and_asks_for_stats() {
        let mut q =
            LiveQuery::from_query_string("?proto=1&method=INVITE&only_requests=1&history=0");
        assert_eq!(
            q.stream_search(),
            "?proto=1&method=INVITE&only_requests=1&stats=1"
        );
        q.follow = Some("c@h".into());
        assert_eq!(
            q.stream_search(),
            "?proto=1&history=200&include_payload=1&stats=1"
        );
    }

    #[test]
    fn ws_url_follows_the_page_scheme() {
        let q = LiveQuery::default();
        assert_eq!(
            q.ws_url("https:", "example.org:8443"),
            "wss://example.org:8443/api/v4/stream/hep?history=50&stats=1"
        );
        assert!(q
            .ws_url("http:", "h")
            .starts_with("ws://h/api/v4/stream/hep?"));
    }
}
