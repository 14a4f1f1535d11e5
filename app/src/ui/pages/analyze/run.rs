//! The searches behind `/analyze`: the seed, the fan-out by number, the candidates' messages,
//! then `domain::legs::correlate`. Every HOMER request goes through `ui::api` (debug panel).

use std::collections::HashSet;

use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::domain::analyze_view::{AnalyzeQuery, Step};
use crate::domain::homer::{gather, HomerRow, SearchRequest};
use crate::domain::ladder::AliasTable;
use crate::domain::legs::{correlate, Analysis, LegCandidate, Seed};
use crate::domain::query::{compile, ResultView};
use crate::domain::search_form::SearchForm;
use crate::ui::api::{self, ApiRoot};

/// What one analysis produced.
pub struct Outcome {
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

/// Runs the four steps of an analysis, reporting each through `step`.
pub async fn analyze(query: &AnalyzeQuery, step: impl Fn(Step)) -> Result<Outcome, String> {
    let zone = TimeZone::system();
    let now = Timestamp::now();
    let mut failures = Vec::new();
    let mut notices = Vec::new();

    // 1. The seed leg.
    let form = query.seed_form().map_err(|e| e.to_string())?;
    let requests = compile_requests(&form, now, &zone)?;
    let (rows, seed_failures, _) = run_searches(&requests).await;
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
        match compile_requests(form, now, &zone) {
            Ok(r) => requests.extend(r),
            Err(e) => failures.push(format!("number {}: {e}", form.number)),
        }
    }
    let (fanout_rows, fanout_failures, limit_hit) = run_searches(&requests).await;
    failures.extend(fanout_failures);
    if limit_hit {
        notices.push(
            "A number search hit its row limit: some legs may be missing. Narrow the window or add fewer numbers."
                .to_owned(),
        );
    }
    let mut seen = HashSet::new();
    let mut call_ids = vec![seed.call_id.clone()];
    seen.insert(seed.call_id.clone());
    for row in &fanout_rows {
        let id = if row.sid.is_empty() {
            &row.callid
        } else {
            &row.sid
        };
        if !id.is_empty() && seen.insert(id.clone()) {
            call_ids.push(id.clone());
        }
    }

    // 3. The candidates' INVITEs.
    step(Step::Invites(call_ids.len()));
    let request = query.options.candidate_request(&seed, call_ids);
    let answer = api::transaction(&ApiRoot::Default, &request)
        .await
        .map_err(|e| format!("reading the candidate legs failed: {e}"))?;
    let aliases = match api::alias_table(&ApiRoot::Default).await {
        Ok(table) => table,
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
    Ok(Outcome {
        analysis,
        failures,
        notices,
        rows: answer.data.messages,
        aliases,
    })
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

/// Runs searches in parallel: every row, the failures, and whether one hit its row limit.
async fn run_searches(requests: &[SearchRequest]) -> (Vec<HomerRow>, Vec<String>, bool) {
    let answers = futures::future::join_all(requests.iter().map(|request| async move {
        (
            request.row_limit(),
            api::search_call_data(&ApiRoot::Default, request).await,
        )
    }))
    .await;
    let gathered = gather(answers);
    (
        gathered.rows.into_iter().flatten().collect(),
        gathered.failures.iter().map(ToString::to_string).collect(),
        gathered.limit_reached,
    )
}
