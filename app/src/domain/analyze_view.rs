//! The Analyze view's state and presentation logic (issue 9's UI): the URL form of an analysis
//! (the [`AnalyzeOptions`] plus the legs the user added or removed), the searches the page runs,
//! which legs are shown after the user's choices, the combined-ladder link and the JSON export.
//!
//! Pure: no I/O, no clock. The correlation itself is [`crate::domain::legs`].

use serde_json::{json, Value};

use crate::domain::homer::HomerRow;
use crate::domain::legs::{AnalyzeOptions, LegCandidate, LegRow, LegsError, Seed, NUMBER_DIGITS};
use crate::domain::percent::{percent_decode, percent_encode};
use crate::domain::search_form::{FormError, SearchForm};

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

    /// The fan-out searches around `seed`: [`AnalyzeOptions::fanout_searches`] with each long
    /// number searched by its [`number_pattern`] (a `%` suffix), so its national and international
    /// forms are found alike. A pattern whose digits end with another pattern's digits is left
    /// out: the shorter one already finds what it would.
    pub fn fanout_forms(&self, seed: &LegCandidate) -> Vec<SearchForm> {
        let forms: Vec<SearchForm> = self
            .options
            .fanout_searches(seed)
            .into_iter()
            .map(|mut form| {
                form.number = number_pattern(&form.number);
                form
            })
            .collect();
        let tails: Vec<String> = forms
            .iter()
            .filter_map(|f| f.number.strip_prefix('%').map(str::to_owned))
            .collect();
        let mut unique: Vec<SearchForm> = Vec::new();
        for form in forms {
            let covered = form.number.strip_prefix('%').is_some_and(|digits| {
                tails
                    .iter()
                    .any(|t| t.len() < digits.len() && digits.ends_with(t.as_str()))
            });
            if !covered
                && !form.number.is_empty()
                && !unique.iter().any(|f| f.number == form.number)
            {
                unique.push(form);
            }
        }
        unique
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

/// Fewest digits a fan-out pattern keeps; a shorter one would find unrelated calls.
const MIN_PATTERN_DIGITS: usize = 6;
/// Longest country code (ITU-T E.164).
const MAX_COUNTRY_CODE_DIGITS: usize = 3;

/// How the fan-out searches a number: `%` and the longest run of final digits that every written
/// form of it shares, so `+49 221 12345678`, `0049…`, `49…` and the national `0221 12345678` are
/// all found, and as few unrelated numbers as can be.
///
/// - International (`+` or `00`): the digits after the longest possible country code (3 digits):
///   a tail of the national number whatever the country code's length.
/// - National (one leading `0`, the trunk prefix): the digits after it.
/// - Other digits (a national number, or an international one without `+`): the last
///   max(n − 3, min(n, [`NUMBER_DIGITS`])) digits.
///
/// Numbers with fewer than [`NUMBER_DIGITS`] digits (extensions), with other characters
/// (patterns, names), or whose tail would be shorter than 6 digits are searched as written
/// (the number filter adds the `+` variant itself).
pub fn number_pattern(number: &str) -> String {
    let written = number.trim();
    let (international, digits) = match written.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, written),
    };
    if digits.len() < NUMBER_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return written.to_owned();
    }
    let keep = if international {
        digits.len().saturating_sub(MAX_COUNTRY_CODE_DIGITS)
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.len().saturating_sub(MAX_COUNTRY_CODE_DIGITS)
    } else if digits.starts_with('0') {
        digits.len() - 1
    } else {
        digits
            .len()
            .saturating_sub(MAX_COUNTRY_CODE_DIGITS)
            .max(NUMBER_DIGITS)
    };
    match digits.get(digits.len() - keep..) {
        Some(tail) if keep >= MIN_PATTERN_DIGITS => format!("%{tail}"),
        _ => written.to_owned(),
    }
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

    /// The messages of the shown legs among `rows` (the candidates' transaction answer), for the
    /// combined ladder; rows are matched by `sid`, else `callid`.
    pub fn leg_messages(&self, rows: &[HomerRow]) -> Vec<HomerRow> {
        rows.iter()
            .filter(|r| {
                let id = if r.sid.is_empty() { &r.callid } else { &r.sid };
                self.legs.iter().any(|(l, _)| &l.call_id == id)
            })
            .cloned()
            .collect()
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
                "matched_keys": l.matched_keys,
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
            matched_keys: Vec::new(),
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
    fn leg_messages_follow_the_shown_legs() {
        let message = |sid: &str, callid: &str| HomerRow {
            sid: sid.into(),
            callid: callid.into(),
            method: "INVITE".into(),
            ..HomerRow::default()
        };
        let rows = vec![
            message("a@1", ""),
            message("", "b@2"),
            message("s@3", ""),
            message("x@9", ""),
        ];
        let ids = |shown: &ShownAnalysis| -> Vec<String> {
            shown
                .leg_messages(&rows)
                .into_iter()
                .map(|r| if r.sid.is_empty() { r.callid } else { r.sid })
                .collect()
        };
        let shown = ShownAnalysis::new(&analysis(), &AnalyzeQuery::default());
        assert_eq!(ids(&shown), vec!["a@1", "b@2"]);
        let query = AnalyzeQuery::default()
            .including("s@3", false)
            .excluding("b@2", true);
        assert_eq!(
            ids(&ShownAnalysis::new(&analysis(), &query)),
            vec!["a@1", "s@3"]
        );
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

    /// What HOMER's `=` with `%` (LIKE) does for a pattern that only starts with `%`.
    fn like(pattern: &str, value: &str) -> bool {
        match pattern.strip_prefix('%') {
            Some(tail) => value.ends_with(tail),
            None => value == pattern,
        }
    }

    /// Written forms of +49 221 12345678.
    const FORMS: [&str; 5] = [
        "+4922112345678",
        "004922112345678",
        "4922112345678",
        "022112345678",
        "22112345678",
    ];

    #[test]
    fn number_pattern_matches_every_written_form_of_the_number() {
        for written in FORMS {
            let pattern = number_pattern(written);
            assert!(pattern.starts_with('%'), "{written} -> {pattern}");
            for form in FORMS {
                assert!(like(&pattern, form), "{written} -> {pattern} misses {form}");
            }
        }
        // A one-digit and a three-digit country code alike.
        for (a, b) in [
            ("+12125551234", "2125551234"),
            ("+35312345678", "012345678"),
        ] {
            assert!(like(&number_pattern(a), b), "{a} vs {b}");
            assert!(like(&number_pattern(b), a), "{b} vs {a}");
        }
    }

    #[test]
    fn number_pattern_keeps_more_than_eight_digits_of_long_numbers() {
        assert_eq!(number_pattern("+4922112345678"), "%2112345678");
        assert_eq!(number_pattern("022112345678"), "%22112345678");
        // Same last 8 digits, other area code: no longer found.
        assert!(!like(&number_pattern("+4922112345678"), "+4930112345678"));
        assert!(!like(&number_pattern("022112345678"), "03012345678"));
    }

    #[test]
    fn number_pattern_leaves_extensions_patterns_and_short_numbers_as_written() {
        assert_eq!(number_pattern(" 201 "), "201");
        assert_eq!(number_pattern("+4930%"), "+4930%");
        assert_eq!(number_pattern("alice"), "alice");
        assert_eq!(number_pattern("12345678"), "%12345678");
        assert_eq!(number_pattern("+1234567"), "+1234567");
        assert_eq!(number_pattern("+123456789"), "%456789");
        assert_eq!(number_pattern("0012345678"), "0012345678");
    }

    #[test]
    fn fanout_searches_each_number_once_by_its_pattern() {
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
        let query = AnalyzeQuery::from_query_string(
            "call_id=a%401&number=%2B4922112345678&number=201&number=004922112345678",
        )
        .unwrap();
        let numbers: Vec<String> = query
            .fanout_forms(&seed)
            .into_iter()
            .map(|f| f.number)
            .collect();
        // The seed's national form is covered by the international one's shorter tail.
        assert_eq!(numbers, vec!["%2112345678".to_owned(), "201".to_owned()]);
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
