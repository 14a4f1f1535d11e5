//! The call view's state as it lives in the URL: backend, the call's time, time zone, lane and time
//! modes, ladder filters, the open message and the one marked for a diff.
//!
//! Defaults are left out of the URL, so a plain link `/call/<id>` opens the recommended view.

use crate::domain::ladder::{LadderFilter, LaneMode, TimeMode};
use crate::domain::percent::{percent_decode, percent_encode};

/// Which panel of the call view is shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CallTab {
    #[default]
    Ladder,
    Qos,
}

/// The call view's URL query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallQuery {
    /// Backend name; empty for the default.
    pub backend: String,
    /// The call's time, epoch ms (narrows the lookup window).
    pub t: Option<i64>,
    /// IANA time zone; empty for the browser's.
    pub tz: String,
    pub lanes: LaneMode,
    pub time: TimeMode,
    pub hide_options: bool,
    pub hide_provisional: bool,
    /// Fold retransmissions and copies from other capture points.
    pub collapse: bool,
    pub show_rtcp: bool,
    pub show_logs: bool,
    /// Call-IDs whose rows are hidden.
    pub hidden: Vec<String>,
    /// The open message: its index in the loaded messages.
    pub msg: Option<usize>,
    /// The message marked for a diff with the open one.
    pub cmp: Option<usize>,
    pub tab: CallTab,
    /// Pairs this view does not read (the Quality tab's settings, …), kept as decoded key and
    /// value so that changing the ladder's settings or switching tabs keeps them.
    pub other: Vec<(String, String)>,
}

impl Default for CallQuery {
    fn default() -> Self {
        Self {
            backend: String::new(),
            t: None,
            tz: String::new(),
            lanes: LaneMode::default(),
            time: TimeMode::default(),
            hide_options: true,
            hide_provisional: false,
            collapse: true,
            show_rtcp: true,
            show_logs: true,
            hidden: Vec::new(),
            msg: None,
            cmp: None,
            tab: CallTab::default(),
            other: Vec::new(),
        }
    }
}

fn flag(value: &str) -> Option<bool> {
    match value {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

impl CallQuery {
    /// Reads a query string (leading `?` allowed). Unknown keys and unreadable values are ignored, so
    /// an old or hand-edited link still opens.
    pub fn from_query_string(search: &str) -> CallQuery {
        let mut q = CallQuery::default();
        for part in search.trim_start_matches('?').split('&') {
            if part.is_empty() {
                continue;
            }
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let v = percent_decode(v);
            match k {
                "backend" => q.backend = v,
                "t" => q.t = v.parse().ok(),
                "tz" => q.tz = v,
                "lanes" => q.lanes = LaneMode::parse(&v).unwrap_or_default(),
                "time" => q.time = TimeMode::parse(&v).unwrap_or_default(),
                "options" => q.hide_options = !flag(&v).unwrap_or(false),
                "provisional" => q.hide_provisional = !flag(&v).unwrap_or(true),
                "collapse" => q.collapse = flag(&v).unwrap_or(true),
                "rtcp" => q.show_rtcp = flag(&v).unwrap_or(true),
                "logs" => q.show_logs = flag(&v).unwrap_or(true),
                "hide" => q.hidden.push(v),
                "msg" => q.msg = v.parse().ok(),
                "cmp" => q.cmp = v.parse().ok(),
                "tab" => {
                    q.tab = match v.as_str() {
                        "qos" => CallTab::Qos,
                        _ => CallTab::Ladder,
                    }
                }
                _ => q.other.push((percent_decode(k), v)),
            }
        }
        q
    }

    /// The query string with a leading `?`, or empty for the defaults.
    pub fn to_search(&self) -> String {
        let d = CallQuery::default();
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if !self.backend.is_empty() {
            pairs.push(("backend", self.backend.clone()));
        }
        if let Some(t) = self.t {
            pairs.push(("t", t.to_string()));
        }
        if !self.tz.is_empty() {
            pairs.push(("tz", self.tz.clone()));
        }
        if self.lanes != d.lanes {
            pairs.push(("lanes", self.lanes.as_str().to_string()));
        }
        if self.time != d.time {
            pairs.push(("time", self.time.as_str().to_string()));
        }
        if self.hide_options != d.hide_options {
            pairs.push(("options", if self.hide_options { "0" } else { "1" }.into()));
        }
        if self.hide_provisional != d.hide_provisional {
            pairs.push((
                "provisional",
                if self.hide_provisional { "0" } else { "1" }.into(),
            ));
        }
        if self.collapse != d.collapse {
            pairs.push(("collapse", bool_text(self.collapse)));
        }
        if self.show_rtcp != d.show_rtcp {
            pairs.push(("rtcp", bool_text(self.show_rtcp)));
        }
        if self.show_logs != d.show_logs {
            pairs.push(("logs", bool_text(self.show_logs)));
        }
        for id in &self.hidden {
            pairs.push(("hide", id.clone()));
        }
        if let Some(m) = self.msg {
            pairs.push(("msg", m.to_string()));
        }
        if let Some(c) = self.cmp {
            pairs.push(("cmp", c.to_string()));
        }
        if self.tab == CallTab::Qos {
            pairs.push(("tab", "qos".into()));
        }
        let mut joined: Vec<String> = pairs
            .into_iter()
            .map(|(k, v)| format!("{k}={}", percent_encode(&v)))
            .collect();
        joined.extend(
            self.other
                .iter()
                .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v))),
        );
        if joined.is_empty() {
            return String::new();
        }
        format!("?{}", joined.join("&"))
    }

    /// The ladder filter these settings describe.
    pub fn filter(&self) -> LadderFilter {
        LadderFilter {
            hide_options: self.hide_options,
            hide_provisional: self.hide_provisional,
            collapse_retransmissions: self.collapse,
            collapse_duplicates: self.collapse,
            hidden_call_ids: self.hidden.clone(),
            show_rtcp: self.show_rtcp,
            show_logs: self.show_logs,
            ..LadderFilter::default()
        }
    }
}

/// The Call-IDs of a `/call/{ids}` or `/qos/{ids}` path segment: comma-separated, percent-encoded.
pub fn call_ids_from_segment(segment: &str) -> Vec<String> {
    segment
        .split(',')
        .map(percent_decode)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn bool_text(on: bool) -> String {
    if on { "1" } else { "0" }.to_string()
}

/// The start of a download's file name for these Call-IDs: the first one (or `call`) with every
/// character other than ASCII letters, digits, `-` and `.` replaced by `_`, at most 60 characters.
pub fn file_stem(call_ids: &[String]) -> String {
    let first = call_ids.first().map_or("call", String::as_str);
    first
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(60)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_make_an_empty_query() {
        assert_eq!(CallQuery::default().to_search(), "");
        assert_eq!(CallQuery::from_query_string(""), CallQuery::default());
    }

    #[test]
    fn every_setting_round_trips() {
        let q = CallQuery {
            backend: "homer-eu".into(),
            t: Some(1_700_000_000_000),
            tz: "Europe/Berlin".into(),
            lanes: LaneMode::Alias,
            time: TimeMode::Delta,
            hide_options: false,
            hide_provisional: true,
            collapse: false,
            show_rtcp: false,
            show_logs: false,
            hidden: vec!["a@b".into(), "c d".into()],
            msg: Some(4),
            cmp: Some(2),
            tab: CallTab::Qos,
            other: vec![("qos_clock".into(), "16000".into())],
        };
        let text = q.to_search();
        assert_eq!(CallQuery::from_query_string(&text), q, "{text}");
    }

    #[test]
    fn garbage_values_fall_back_to_defaults() {
        let q = CallQuery::from_query_string("?lanes=zzz&time=&t=abc&msg=-1&collapse=maybe");
        assert_eq!(q, CallQuery::default());
    }

    #[test]
    fn unknown_keys_survive_a_settings_change() {
        let mut q = CallQuery::from_query_string("?tab=qos&qos_latency=40&lanes=ip");
        q.lanes = LaneMode::Alias;
        q.tab = CallTab::Ladder;
        assert_eq!(q.to_search(), "?lanes=alias&qos_latency=40");
    }

    #[test]
    fn call_ids_come_from_a_comma_list() {
        assert_eq!(
            call_ids_from_segment("a%40h,%20b@h2 ,,"),
            vec!["a@h".to_string(), "b@h2".to_string()]
        );
        assert!(call_ids_from_segment("").is_empty());
    }

    #[test]
    fn filter_follows_the_settings() {
        let q = CallQuery::from_query_string("?options=1&collapse=0&hide=x");
        let f = q.filter();
        assert!(!f.hide_options);
        assert!(!f.collapse_retransmissions && !f.collapse_duplicates);
        assert_eq!(f.hidden_call_ids, vec!["x".to_string()]);
    }
}
