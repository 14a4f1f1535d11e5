//! The four steps of an analysis through a [`V3Fetch`]: the seed, the fan-out by number, the
//! candidates' messages, then [`correlate`]. The Analyze view and `hepscope analyze` share it.

use std::collections::HashSet;

use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::domain::analyze_view::{AnalyzeQuery, Step};
use crate::domain::fetch::V3Fetch;
use crate::domain::homer::{gather, HomerRow, SearchRequest};
use crate::domain::ladder::AliasTable;
use crate::domain::query::{compile, ResultView};
use crate::domain::search_form::SearchForm;

use super::{correlate, Analysis, LegCandidate, Seed};

/// What one analysis produced.
#[derive(Clone, Debug, PartialEq)]
pub struct AnalyzeOutcome {
    /// The correlation result.
    pub analysis: Analysis,
    /// Searches that failed (the analysis may miss legs).
    pub failures: Vec<String>,
    /// What the user should know (several seeds, a row limit hit, …).
    pub notices: Vec<String>,
    /// Every candidate leg's messages.
    pub rows: Vec<HomerRow>,
    /// Host names for the ladder.
    pub aliases: AliasTable,
}

/// Runs an analysis at `now` (relative times) in `zone` (absolute ones), reporting each step.
///
/// # Errors
/// The seed search failed entirely, no seed was found, or the candidates could not be read.
pub async fn run_analysis<F: V3Fetch>(
    fetch: &F,
    query: &AnalyzeQuery,
    now: Timestamp,
    zone: &TimeZone,
    step: impl Fn(Step),
) -> Result<AnalyzeOutcome, String> {
    let mut failures = Vec::new();
    let mut notices = Vec::new();

    // 1. The seed leg.
    let form = query.seed_form().map_err(|e| e.to_string())?;
    let requests = compile_requests(&form, now, zone)?;
    let (rows, seed_failures, _) = run_searches(fetch, &requests).await;
    if rows.is_empty() && !seed_failures.is_empty() {
        return Err(format!(
            "the seed search failed: {}",
            seed_failures.join("; ")
        ));
    }
    failures.extend(seed_failures);
    let found = LegCandidate::from_rows(&rows);
    let seed = query.pick_seed(&found).map_err(|e| e.to_string())?;
    if matches!(query.options.seed, Seed::Parties { .. }) && found.len() > 1 {
        notices.push(format!(
            "{} calls match the caller and callee; analysing the first, {}. Narrow the time with At to pick another.",
            found.len(),
            seed.call_id
        ));
    }

    // 2. The fan-out by number around the seed.
    let forms = query.fanout_forms(&seed);
    step(Step::Fanout(forms.len()));
    let mut requests = Vec::new();
    for form in &forms {
        match compile_requests(form, now, zone) {
            Ok(r) => requests.extend(r),
            Err(e) => failures.push(format!("number {}: {e}", form.number)),
        }
    }
    let (fanout_rows, fanout_failures, limit_hit) = run_searches(fetch, &requests).await;
    failures.extend(fanout_failures);
    if limit_hit {
        notices.push(
            "A number search hit its row limit: some legs may be missing. Narrow the window or add fewer numbers."
                .to_owned(),
        );
    }
    let call_ids = candidate_ids(&seed.call_id, &fanout_rows);

    // 3. The candidates' INVITEs.
    step(Step::Invites(call_ids.len()));
    let request = query.options.candidate_request(&seed, call_ids);
    let answer = fetch
        .transaction(&request)
        .await
        .map_err(|e| format!("reading the candidate legs failed: {e}"))?;
    let aliases = match fetch.aliases().await {
        Ok(list) => AliasTable::from_list(&list),
        Err(e) => {
            notices.push(format!("Host aliases are unavailable: {e}"));
            AliasTable::from_transaction(&answer.data.alias)
        }
    };
    let mut candidates = LegCandidate::from_rows(&answer.data.messages);
    if !candidates.iter().any(|c| c.call_id == seed.call_id) {
        candidates.push(seed.clone());
    }

    // 4. The correlation.
    step(Step::Correlate);
    let analysis =
        correlate(&seed.call_id, &candidates, &query.options).map_err(|e| e.to_string())?;
    Ok(AnalyzeOutcome {
        analysis,
        failures,
        notices,
        rows: answer.data.messages,
        aliases,
    })
}

/// The seed's Call-ID, then every other Call-ID of the fan-out rows in order of appearance.
pub fn candidate_ids(seed: &str, rows: &[HomerRow]) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut call_ids = vec![seed.to_owned()];
    seen.insert(seed.to_owned());
    for row in rows {
        let id = if row.sid.is_empty() {
            &row.callid
        } else {
            &row.sid
        };
        if !id.is_empty() && seen.insert(id.clone()) {
            call_ids.push(id.clone());
        }
    }
    call_ids
}

fn compile_requests(
    form: &SearchForm,
    now: Timestamp,
    zone: &TimeZone,
) -> Result<Vec<SearchRequest>, String> {
    compile(form, ResultView::Calls, now, zone)
        .map(|c| c.requests)
        .map_err(|e| e.to_string())
}

/// Every row, the failures, and whether a search hit its row limit.
async fn run_searches<F: V3Fetch>(
    fetch: &F,
    requests: &[SearchRequest],
) -> (Vec<HomerRow>, Vec<String>, bool) {
    let gathered = gather(fetch.search_all(requests).await);
    (
        gathered.rows.into_iter().flatten().collect(),
        gathered.failures.iter().map(ToString::to_string).collect(),
        gathered.limit_reached,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidate_ids_start_with_the_seed_and_skip_repeats() {
        let row = |sid: &str, callid: &str| HomerRow {
            sid: sid.into(),
            callid: callid.into(),
            ..HomerRow::default()
        };
        let rows = [
            row("b", ""),
            row("seed", ""),
            row("", "c"),
            row("b", ""),
            row("", ""),
        ];
        assert_eq!(candidate_ids("seed", &rows), ["seed", "b", "c"]);
    }
}
