//! `AnalyzeOptions`: what the legs view correlates from (a Call-ID or a caller/callee pair in a
//! time range), which headers link legs, which headers to show, extra numbers to search; its URL
//! form; and the searches the browser fans out. Pure: no I/O, no clock (times come from the seed).

use jiff::Timestamp;

use super::candidate::LegCandidate;
use super::keys::CorrelationRule;
use crate::domain::homer::{ProfileKey, TimeWindow, TransactionRequest};
use crate::domain::search_form::{FormError, SearchForm};
use crate::domain::sip::DEFAULT_CORRELATION_HEADERS;

/// Default half width of the fan-out window around the seed leg, s.
pub const DEFAULT_WINDOW_S: u32 = 60;
/// Default most legs in one analysis (SIP3 follows at most 10).
pub const DEFAULT_LIMIT: u32 = 10;

/// Where the analysis starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seed {
    /// A known Call-ID of any leg.
    CallId(String),
    /// A caller and/or callee number, found within `at`/`since`/`until`.
    Parties {
        /// From user (blank = any).
        caller: String,
        /// To user (blank = any).
        callee: String,
    },
}

/// Options of one leg analysis. Time texts follow the search form's rules (`30m`, RFC 3339, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnalyzeOptions {
    /// The starting point.
    pub seed: Seed,
    /// Centre of a ±5 min seed search; excludes `since`/`until`.
    pub at: String,
    /// Start of the seed search.
    pub since: String,
    /// End of the seed search.
    pub until: String,
    /// Header names whose values link legs (and whose values naming a Call-ID link to it).
    pub correlate: Vec<String>,
    /// Correlation rules beyond the headers (ICID, Session-ID, `_b2b-N`); all by default.
    pub rules: Vec<CorrelationRule>,
    /// Header name prefixes (`X-Acme-`) shown as columns.
    pub header_prefixes: Vec<String>,
    /// Extra numbers to search for legs (national forms, extensions).
    pub numbers: Vec<String>,
    /// Half width of the fan-out window around the seed leg, s.
    pub window_s: u32,
    /// Most legs kept (the seed included); also caps suggestions.
    pub limit: u32,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        Self {
            seed: Seed::CallId(String::new()),
            at: String::new(),
            since: String::new(),
            until: String::new(),
            correlate: DEFAULT_CORRELATION_HEADERS
                .iter()
                .map(|h| (*h).to_owned())
                .collect(),
            rules: CorrelationRule::ALL.to_vec(),
            header_prefixes: Vec::new(),
            numbers: Vec::new(),
            window_s: DEFAULT_WINDOW_S,
            limit: DEFAULT_LIMIT,
        }
    }
}

/// Errors preparing an analysis.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LegsError {
    /// Neither a Call-ID nor a number was given.
    #[error("nothing to analyze; enter a call-id, or a caller or callee number")]
    NoSeed,
    /// The seed Call-ID is not among the candidate legs.
    #[error(
        "call-id '{0}' was not found in the searched time range; widen the range or check the id"
    )]
    SeedNotFound(String),
}

impl AnalyzeOptions {
    /// The options as URL `(key, value)` pairs, defaults left out, in a fixed order. An emptied
    /// header list is written as one blank `correlate` so it survives the round trip.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        match &self.seed {
            Seed::CallId(id) if !id.is_empty() => pairs.push(("call_id", id.clone())),
            Seed::CallId(_) => {}
            Seed::Parties { caller, callee } => {
                for (key, value) in [("caller", caller), ("callee", callee)] {
                    if !value.is_empty() {
                        pairs.push((key, value.clone()));
                    }
                }
            }
        }
        for (key, value) in [
            ("at", &self.at),
            ("since", &self.since),
            ("until", &self.until),
        ] {
            if !value.is_empty() {
                pairs.push((key, value.clone()));
            }
        }
        if self.correlate != AnalyzeOptions::default().correlate {
            if self.correlate.is_empty() {
                pairs.push(("correlate", String::new()));
            }
            pairs.extend(self.correlate.iter().map(|h| ("correlate", h.clone())));
        }
        if self.rules != AnalyzeOptions::default().rules {
            if self.rules.is_empty() {
                pairs.push(("rule", String::new()));
            }
            pairs.extend(self.rules.iter().map(|r| ("rule", r.key().to_owned())));
        }
        pairs.extend(self.header_prefixes.iter().map(|p| ("prefix", p.clone())));
        pairs.extend(self.numbers.iter().map(|n| ("number", n.clone())));
        if self.window_s != DEFAULT_WINDOW_S {
            pairs.push(("window", self.window_s.to_string()));
        }
        if self.limit != DEFAULT_LIMIT {
            pairs.push(("limit", self.limit.to_string()));
        }
        pairs
    }

    /// Builds options from decoded URL pairs. Unknown keys are ignored; `call_id` wins over
    /// `caller`/`callee`; list keys accumulate (blank values are skipped).
    ///
    /// # Errors
    /// [`FormError`] when `window` or `limit` is not a whole number, `limit` is 0, or a `rule`
    /// is not one of [`CorrelationRule::ALL`].
    pub fn from_pairs<'a, I>(pairs: I) -> Result<Self, FormError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut options = Self::default();
        let (mut call_id, mut caller, mut callee) = (String::new(), String::new(), String::new());
        let mut correlate_seen = false;
        let mut rules_seen = false;
        for (key, value) in pairs {
            match key {
                "call_id" => value.clone_into(&mut call_id),
                "caller" => value.clone_into(&mut caller),
                "callee" => value.clone_into(&mut callee),
                "at" => value.clone_into(&mut options.at),
                "since" => value.clone_into(&mut options.since),
                "until" => value.clone_into(&mut options.until),
                "correlate" => {
                    if !correlate_seen {
                        options.correlate.clear();
                        correlate_seen = true;
                    }
                    push_nonblank(&mut options.correlate, value);
                }
                "rule" => {
                    if !rules_seen {
                        options.rules.clear();
                        rules_seen = true;
                    }
                    if !value.trim().is_empty() {
                        let rule = CorrelationRule::from_key(value).ok_or_else(|| FormError {
                            key: "rule",
                            value: value.to_owned(),
                            hint: "use icid, session_id or b2b_suffix",
                        })?;
                        if !options.rules.contains(&rule) {
                            options.rules.push(rule);
                        }
                    }
                }
                "prefix" => push_nonblank(&mut options.header_prefixes, value),
                "number" => push_nonblank(&mut options.numbers, value),
                "window" => {
                    options.window_s = value.trim().parse().map_err(|_| FormError {
                        key: "window",
                        value: value.to_owned(),
                        hint: "use whole seconds such as 60",
                    })?;
                }
                "limit" => {
                    options.limit =
                        value
                            .trim()
                            .parse()
                            .ok()
                            .filter(|n| *n > 0)
                            .ok_or_else(|| FormError {
                                key: "limit",
                                value: value.to_owned(),
                                hint: "use a whole number of legs such as 10",
                            })?;
                }
                _ => {}
            }
        }
        options.seed = if !call_id.is_empty() || (caller.is_empty() && callee.is_empty()) {
            Seed::CallId(call_id)
        } else {
            Seed::Parties { caller, callee }
        };
        Ok(options)
    }

    /// The search finding the seed leg (compile it with `query::compile` for the calls view).
    ///
    /// # Errors
    /// [`LegsError::NoSeed`] when the seed is blank.
    pub fn seed_search(&self) -> Result<SearchForm, LegsError> {
        let mut form = SearchForm {
            at: self.at.clone(),
            since: self.since.clone(),
            until: self.until.clone(),
            ..SearchForm::default()
        };
        match &self.seed {
            Seed::CallId(id) if !id.trim().is_empty() => id.trim().clone_into(&mut form.call_id),
            Seed::Parties { caller, callee }
                if !caller.trim().is_empty() || !callee.trim().is_empty() =>
            {
                caller.trim().clone_into(&mut form.from_user);
                callee.trim().clone_into(&mut form.to_user);
            }
            _ => return Err(LegsError::NoSeed),
        }
        Ok(form)
    }

    /// The window around the seed leg where other legs are looked for, epoch ms.
    pub fn window_around(&self, seed: &LegCandidate) -> TimeWindow {
        let half_ms = i64::from(self.window_s) * 1000;
        TimeWindow::new(
            seed.start_us.div_euclid(1000).saturating_sub(half_ms),
            seed.end_us.div_euclid(1000).saturating_add(half_ms),
        )
    }

    /// The fan-out searches once the seed leg is known: the seed's caller number and every extra
    /// number, each within [`AnalyzeOptions::window_around`] the seed. Duplicates are dropped.
    pub fn fanout_searches(&self, seed: &LegCandidate) -> Vec<SearchForm> {
        let window = self.window_around(seed);
        let instant = |ms: i64| {
            Timestamp::from_millisecond(ms)
                .map(|ts| ts.to_string())
                .unwrap_or_default()
        };
        let (since, until) = (instant(window.from), instant(window.to));
        let mut numbers: Vec<&str> = Vec::new();
        for number in
            std::iter::once(seed.from.as_str()).chain(self.numbers.iter().map(String::as_str))
        {
            let number = number.trim();
            if !number.is_empty() && !numbers.contains(&number) {
                numbers.push(number);
            }
        }
        numbers
            .into_iter()
            .map(|number| SearchForm {
                number: number.to_owned(),
                since: since.clone(),
                until: until.clone(),
                ..SearchForm::default()
            })
            .collect()
    }

    /// The transaction request loading the candidates' messages (their INVITEs carry the
    /// correlation headers, which search answers leave out).
    pub fn candidate_request(
        &self,
        seed: &LegCandidate,
        call_ids: Vec<String>,
    ) -> TransactionRequest {
        TransactionRequest::new(&ProfileKey::call(), self.window_around(seed), call_ids)
    }
}

fn push_nonblank(list: &mut Vec<String>, value: &str) {
    let value = value.trim();
    if !value.is_empty() && !list.iter().any(|v| v == value) {
        list.push(value.to_owned());
    }
}
