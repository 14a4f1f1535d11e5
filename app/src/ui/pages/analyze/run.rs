//! The searches behind `/analyze`: [`run_analysis`] (the seed, the fan-out by number, the
//! candidates' messages, then the correlation) through the browser's [`UiFetch`], so every HOMER
//! request takes `ui::api`'s one request path (debug panel). `hepscope analyze` runs the same steps.

use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::domain::analyze_view::{AnalyzeQuery, Step};
use crate::domain::legs::run::run_analysis;
use crate::ui::api::fetch::UiFetch;
use crate::ui::api::ApiRoot;

pub use crate::domain::legs::run::AnalyzeOutcome as Outcome;

/// Runs the four steps of an analysis, reporting each through `step`.
pub async fn analyze(query: &AnalyzeQuery, step: impl Fn(Step)) -> Result<Outcome, String> {
    let fetch = UiFetch::new(ApiRoot::Default);
    run_analysis(&fetch, query, Timestamp::now(), &TimeZone::system(), step).await
}
