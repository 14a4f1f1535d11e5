//! The Analyze view's state and presentation logic (issue 9's UI): the URL form of an analysis
//! (the [`AnalyzeOptions`] plus the legs the user added or removed), the searches the page runs,
//! which legs are shown after the user's choices, the combined-ladder link and the JSON export.
//!
//! Pure: no I/O, no clock. The correlation itself is [`crate::domain::legs`].

use serde_json::{json, Value};

use crate::domain::legs::{AnalyzeOptions, LegCandidate, LegRow, LegsError, Seed, NUMBER_DIGITS};
use crate::domain::search_form::{percent_decode, percent_encode, FormError, SearchForm};

/// How far back the seed is looked for when the link gives no time (dex's default).
pub const DEFAULT_SEED_SINCE: &str = "10d";

/// Everything the Analyze view shows, as read from and written to the URL.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AnalyzeQuery {
    /// What to correlate.
    pub options: AnalyzeOptions,
    /// Call-IDs of suggested legs the user added (`add`).
    pub added: Vec<String>,
    /// Call-IDs of linked legs the user removed (`remove`).
    pub removed: Vec<String>,
}

impl AnalyzeQuery {
    /// Reads a raw query string (a leading `?` is allowed).
    ///
    /// # Errors
    /// [`FormError`] as [`AnalyzeOptions::from_pairs`] reports it.
    pub fn from_query_string(query: &str) -> Result<Self, FormError> {
        let query = query.strip_prefix('?').unwrap_or(query);
        let decoded: Vec<(String, String)> = query
            .split('&')
            .filter(|part| !part.is_empty())
            .map(|part| {
                let (k, v) = part.split_once('=').unwrap_or((part, ""));
                (percent_decode(k), percent_decode(v))
            })
            .collect();
        let options =
            AnalyzeOptions::from_pairs(decoded.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
        let list = |key: &str| {
            let mut out: Vec<String> = Vec::new();
            for (k, v) in &decoded {
                let v = v.trim();
                if k == key && !v.is_empty() && !out.iter().any(|o| o == v) {
                    out.push(v.to_owned());
                }
            }
            out
        };
        Ok(Self {
            options,
            added: list("add"),
            removed: list("remove"),
        })
    }

    /// The query string (without `?`), defaults left out.
    pub fn to_query_string(&self) -> String {
        let mut pairs = self.options.to_pairs();
        pairs.extend(self.added.iter().map(|id| ("add", id.clone())));
        pairs.extend(self.removed.iter().map(|id| ("remove", id.clone())));
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", percent_encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// True when the query names something to analyze.
    pub fn has_seed(&self) -> bool {
        match &self.options.seed {
            Seed::CallId(id) => !id.trim().is_empty(),
            Seed::Parties { caller, callee } => {
                !caller.trim().is_empty() || !callee.trim().is_empty()
            }
        }
    }

    /// The query with leg `call_id` shown; `linked` says whether the correlation found it itself
    /// (then only an earlier removal is undone).
    pub fn including(&self, call_id: &str, linked: bool) -> Self {
        let mut next = self.clone();
        next.removed.retain(|id| id != call_id);
        if !linked && !next.added.iter().any(|id| id == call_id) {
            next.added.push(call_id.to_owned());
        }
        next
    }

    /// The query with leg `call_id` left out; `linked` says whether the correlation found it.
    pub fn excluding(&self, call_id: &str, linked: bool) -> Self {
        let mut next = self.clone();
        next.added.retain(|id| id != call_id);
        if linked && !next.removed.iter().any(|id| id == call_id) {
            next.removed.push(call_id.to_owned());
        }
        next
    }

    /// The search finding the seed leg: [`AnalyzeOptions::seed_search`], looking back
    /// [`DEFAULT_SEED_SINCE`] when no time is given.
    ///
    /// # Errors
    /// [`LegsError::NoSeed`] when the seed is blank.
    pub fn seed_form(&self) -> Result<SearchForm, LegsError> {
        let mut form = self.options.seed_search()?;
        if form.at.trim().is_empty() && form.since.trim().is_empty() {
            DEFAULT_SEED_SINCE.clone_into(&mut form.since);
        }
        Ok(form)
    }

    /// The fan-out searches around `seed`: [`AnalyzeOptions::fanout_searches`] with each number
    /// matched on its last [`NUMBER_DIGITS`] digits (`%` prefix), so national and E.164 forms of
    /// the same number are found alike, as the correlation compares them.
    pub fn fanout_forms(&self, seed: &LegCandidate) -> Vec<SearchForm> {
        let mut forms: Vec<SearchForm> = Vec::new();
        for mut form in self.options.fanout_searches(seed) {
            if let Some(suffix) = number_suffix(&form.number) {
                form.number = format!("%{suffix}");
            }
            if !forms.iter().any(|f| f.number == form.number) {
                forms.push(form);
            }
        }
        forms
    }

    /// The seed leg among `candidates` (rows of the seed search): the one with the Call-ID, or
    /// for a caller/callee seed the first call found.
    ///
    /// # Errors
    /// [`LegsError::SeedNotFound`] when no candidate fits.
    pub fn pick_seed(&self, candidates: &[LegCandidate]) -> Result<LegCandidate, LegsError> {
        match &self.options.seed {
            Seed::CallId(id) => candidates
                .iter()
                .find(|c| c.call_id == id.trim())
                .cloned()
                .ok_or_else(|| LegsError::SeedNotFound(id.trim().to_owned())),
            Seed::Parties { caller, callee } => candidates
                .first()
                .cloned()
                .ok_or_else(|| LegsError::SeedNotFound(format!("{caller} -> {callee}"))),
        }
    }
}

/// The last [`NUMBER_DIGITS`] digits of an all-digit number (a leading `+` allowed) that has at
/// least that many; `None` for short numbers (extensions) and patterns, which are searched as
/// written.
fn number_suffix(number: &str) -> Option<&str> {
    let digits = number.trim().strip_prefix('+').unwrap_or(number.trim());
    if digits.len() < NUMBER_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.get(digits.len() - NUMBER_DIGITS..)
}

/// Whether a shown leg was found by the correlation or added by the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The correlation linked it.
    Linked,
    /// A suggestion the user added.
    Added,
}

/// The analysis after the user's choices.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShownAnalysis {
    /// Legs in the analysis, by start time.
    pub legs: Vec<(LegRow, Origin)>,
    /// Suggestions not added, and linked legs the user removed (`Origin::Linked`), by start time.
    pub others: Vec<(LegRow, Origin)>,
    /// Header columns, as the correlation chose them.
    pub header_columns: Vec<String>,
}

impl ShownAnalysis {
    /// Applies the user's `added` and `removed` legs to a correlation result.
    pub fn new(analysis: &crate::domain::legs::Analysis, query: &AnalyzeQuery) -> Self {
        let mut shown = Self {
            header_columns: analysis.header_columns.clone(),
            ..Self::default()
        };
        let rows = analysis
            .legs
            .iter()
            .map(|l| (l, Origin::Linked))
            .chain(analysis.suggested.iter().map(|l| (l, Origin::Added)));
        for (leg, origin) in rows {
            let id = leg.call_id.as_str();
            let keep = match origin {
                Origin::Linked => !query.removed.iter().any(|r| r == id),
                Origin::Added => query.added.iter().any(|a| a == id),
            };
            let list = if keep {
                &mut shown.legs
            } else {
                &mut shown.others
            };
            list.push((leg.clone(), origin));
        }
        let by_start = |a: &(LegRow, Origin), b: &(LegRow, Origin)| {
            a.0.start_us
                .cmp(&b.0.start_us)
                .then_with(|| a.0.call_id.cmp(&b.0.call_id))
        };
        shown.legs.sort_by(by_start);
        shown.others.sort_by(by_start);
        shown
    }

    /// The call view's link showing every shown leg in one ladder, around the first leg's start;
    /// `None` without legs.
    pub fn ladder_link(&self) -> Option<String> {
        let first = self.legs.iter().map(|(l, _)| l.start_us).min()?;
        let ids: Vec<String> = self
            .legs
            .iter()
            .map(|(l, _)| percent_encode(&l.call_id))
            .collect();
        Some(format!(
            "/call/{}?t={}",
            ids.join(","),
            first.div_euclid(1000)
        ))
    }

    /// The analysis as pretty JSON for download: the options' query string, legs and the rest.
    pub fn to_json(&self, query: &AnalyzeQuery) -> String {
        let leg = |(l, origin): &(LegRow, Origin)| -> Value {
            json!({
                "call_id": l.call_id,
                "from": l.from,
                "to": l.to,
                "src": l.src.as_ref().map(ToString::to_string),
                "dst": l.dst.as_ref().map(ToString::to_string),
                "start_us": l.start_us,
                "end_us": l.end_us,
                "status": l.status.to_string(),
                "headers": l.headers.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>(),
                "reason": l.included_because.to_string(),
                "added_by_user": *origin == Origin::Added,
            })
        };
        let value = json!({
            "query": query.to_query_string(),
            "legs": self.legs.iter().map(leg).collect::<Vec<_>>(),
            "not_included": self.others.iter().map(leg).collect::<Vec<_>>(),
            "header_columns": self.header_columns,
        });
        serde_json::to_string_pretty(&value).unwrap_or_default()
    }
}

/// The steps of one analysis, for the progress line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Searching the seed call.
    Seed,
    /// Searching these many numbers around the seed.
    Fanout(usize),
    /// Reading the INVITEs of these many candidate legs.
    Invites(usize),
    /// Linking legs.
    Correlate,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Seed => f.write_str("step 1 of 4: finding the seed call…"),
            Step::Fanout(1) => f.write_str("step 2 of 4: searching 1 number…"),
            Step::Fanout(n) => write!(f, "step 2 of 4: searching {n} numbers…"),
            Step::Invites(1) => f.write_str("step 3 of 4: reading the INVITEs of 1 candidate leg…"),
            Step::Invites(n) => {
                write!(f, "step 3 of 4: reading the INVITEs of {n} candidate legs…")
            }
            Step::Correlate => f.write_str("step 4 of 4: correlating…"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calls::CallStatus;
    use crate::domain::legs::{Analysis, Reason};

    fn row(call_id: &str, start_us: i64, reason: Reason) -> LegRow {
        LegRow {
            call_id: call_id.into(),
            from: "+4922112345678".into(),
            to: "200".into(),
            src: None,
            dst: None,
            start_us,
            end_us: start_us + 1_000_000,
            status: CallStatus::Answered,
            headers: vec![("X-Acme-Call-ID".into(), "abc".into())],
            included_because: reason,
        }
    }

    fn analysis() -> Analysis {
        let header = |via: &str| Reason::Header {
            name: "X-Acme-Call-ID".into(),
            value: "abc".into(),
            via: via.into(),
        };
        Analysis {
            legs: vec![
                row("a@1", 1_000_000, Reason::Seed),
                row("b@2", 2_000_000, header("a@1")),
            ],
            suggested: vec![row("s@3", 500_000, Reason::B2bSuffix { via: "a@1".into() })],
            header_columns: vec!["X-Acme-Call-ID".into()],
        }
    }

    #[test]
    fn query_round_trips_options_and_choices() {
        let text = "call_id=a%401&correlate=X-Acme-Call-ID&prefix=X-Acme&number=200&limit=5&add=s%403&remove=b%402";
        let query = AnalyzeQuery::from_query_string(text).unwrap();
        assert_eq!(query.options.seed, Seed::CallId("a@1".into()));
        assert_eq!(query.options.correlate, vec!["X-Acme-Call-ID".to_owned()]);
        assert_eq!(query.added, vec!["s@3".to_owned()]);
        assert_eq!(query.removed, vec!["b@2".to_owned()]);
        assert_eq!(query.to_query_string(), text);
        assert_eq!(
            AnalyzeQuery::from_query_string(&format!("?{text}")).unwrap(),
            query
        );
    }

    #[test]
    fn query_without_seed_has_no_seed() {
        let query = AnalyzeQuery::from_query_string("").unwrap();
        assert!(!query.has_seed());
        assert_eq!(query.seed_form(), Err(LegsError::NoSeed));
    }

    #[test]
    fn seed_form_looks_back_ten_days_without_a_time() {
        let query = AnalyzeQuery::from_query_string("call_id=x").unwrap();
        assert_eq!(query.seed_form().unwrap().since, DEFAULT_SEED_SINCE);
        let query = AnalyzeQuery::from_query_string("call_id=x&at=2026-02-04+17%3A13").unwrap();
        assert_eq!(query.seed_form().unwrap().since, "");
    }

    #[test]
    fn including_and_excluding_toggle_the_url_lists() {
        let query = AnalyzeQuery::default();
        let added = query.including("s@3", false);
        assert_eq!(added.added, vec!["s@3".to_owned()]);
        assert_eq!(added.excluding("s@3", false), query);
        let removed = query.excluding("b@2", true);
        assert_eq!(removed.removed, vec!["b@2".to_owned()]);
        assert_eq!(removed.including("b@2", true), query);
    }

    #[test]
    fn shown_analysis_applies_added_and_removed_legs() {
        let query = AnalyzeQuery::default()
            .including("s@3", false)
            .excluding("b@2", true);
        let shown = ShownAnalysis::new(&analysis(), &query);
        let ids: Vec<(&str, Origin)> = shown
            .legs
            .iter()
            .map(|(l, o)| (l.call_id.as_str(), *o))
            .collect();
        assert_eq!(ids, vec![("s@3", Origin::Added), ("a@1", Origin::Linked)]);
        let others: Vec<&str> = shown
            .others
            .iter()
            .map(|(l, _)| l.call_id.as_str())
            .collect();
        assert_eq!(others, vec!["b@2"]);
    }

    #[test]
    fn ladder_link_holds_every_leg_around_the_first_start() {
        let shown = ShownAnalysis::new(&analysis(), &AnalyzeQuery::default());
        assert_eq!(
            shown.ladder_link().as_deref(),
            Some("/call/a%401,b%402?t=1000")
        );
        assert_eq!(ShownAnalysis::default().ladder_link(), None);
    }

    #[test]
    fn json_lists_legs_with_reasons() {
        let query = AnalyzeQuery::from_query_string("call_id=a%401").unwrap();
        let shown = ShownAnalysis::new(&analysis(), &query);
        let value: Value = serde_json::from_str(&shown.to_json(&query)).unwrap();
        assert_eq!(value["query"], "call_id=a%401");
        assert_eq!(value["legs"][1]["reason"], "X-Acme-Call-ID: abc as on a@1");
        assert_eq!(value["not_included"][0]["call_id"], "s@3");
    }

    #[test]
    fn fanout_matches_numbers_on_their_last_digits() {
        let seed = LegCandidate {
            call_id: "a@1".into(),
            start_us: 1_700_000_000_000_000,
            end_us: 1_700_000_060_000_000,
            from: "022112345678".into(),
            to: "200".into(),
            src: None,
            dst: None,
            status: CallStatus::Answered,
            headers: Vec::new(),
            links: Vec::new(),
        };
        let query =
            AnalyzeQuery::from_query_string("call_id=a%401&number=%2B4922112345678&number=201")
                .unwrap();
        let numbers: Vec<String> = query
            .fanout_forms(&seed)
            .into_iter()
            .map(|f| f.number)
            .collect();
        assert_eq!(numbers, vec!["%12345678".to_owned(), "201".to_owned()]);
    }

    #[test]
    fn step_texts_count_numbers_and_legs() {
        assert_eq!(
            Step::Fanout(3).to_string(),
            "step 2 of 4: searching 3 numbers…"
        );
        assert_eq!(
            Step::Invites(1).to_string(),
            "step 3 of 4: reading the INVITEs of 1 candidate leg…"
        );
    }
}
