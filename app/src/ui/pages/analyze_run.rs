//! The searches behind `/analyze`: [`run_analysis`] (the seed, the fan-out by number, the
//! candidates' messages, then the correlation) through the browser's [`UiFetch`], so every HOMER
//! request shows in the debug panel. `hepscope analyze` runs the same steps.

use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::domain::analyze_view::{AnalyzeQuery, Step};
use crate::domain::legs::run::run_analysis;
use crate::ui::homer::{DebugCtx, UiFetch};

pub use crate::domain::legs::run::AnalyzeOutcome as Outcome;

/// Runs the four steps of an analysis, reporting each through `step`.
pub async fn analyze(
    debug: DebugCtx,
    query: &AnalyzeQuery,
    step: impl Fn(Step),
) -> Result<Outcome, String> {
    let fetch = UiFetch {
        debug,
        backend: String::new(),
    };
    run_analysis(&fetch, query, Timestamp::now(), &TimeZone::system(), step).await
}
