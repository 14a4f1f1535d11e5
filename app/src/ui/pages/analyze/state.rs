//! `use_analysis`: the analysis the URL asks for, loaded keyed on its options and a run number (Analyze
//! on unchanged options, Retry), with the step it is at.

use std::sync::Arc;

use leptos::prelude::*;

use crate::domain::analyze_view::{AnalyzeQuery, Step};
use crate::domain::homer::HomerRow;
use crate::domain::ladder::AliasTable;
use crate::domain::legs::{Analysis, AnalyzeOptions};
use crate::ui::api::keyed::KeyedResource;
use crate::ui::api::{recorder, Alive};

use super::run::analyze;

/// What the analysis is keyed on: the URL's options (or why they cannot be read) and a run number.
pub type RunKey = (Result<AnalyzeOptions, String>, u64);

/// Where the analysis is.
#[derive(Clone, Debug)]
pub enum AnalyzeState {
    /// Nothing to analyze yet.
    Idle,
    /// The URL's options are wrong.
    Invalid(String),
    /// Working on a step.
    Running(Step),
    /// The analysis could not be made.
    Failed(String),
    /// The correlation result, with partial failures and notices.
    Done {
        analysis: Arc<Analysis>,
        failures: Vec<String>,
        notices: Vec<String>,
        /// Every candidate leg's messages, for the combined ladder.
        rows: Arc<Vec<HomerRow>>,
        aliases: Arc<AliasTable>,
    },
}

/// The analysis of the current URL, and what the page can do with it. Cheap handles.
#[derive(Clone, Copy)]
pub struct AnalysisRun {
    pub state: Signal<AnalyzeState>,
    /// Runs the analysis again.
    pub rerun: Callback<()>,
    /// Shows why the form's options cannot be read (for the current key).
    pub form_error: Callback<String>,
}

/// Runs the analysis of `parsed` whenever its `options` change.
pub fn use_analysis(
    parsed: Memo<Result<AnalyzeQuery, String>>,
    options: Memo<Result<AnalyzeOptions, String>>,
) -> AnalysisRun {
    // The analysis, keyed on the URL's options and a run number (Analyze on unchanged options,
    // Retry); a form the options cannot be read from is an error for the key it was sent at.
    let run_no = RwSignal::new(0_u64);
    let step = RwSignal::new(Step::Seed);
    let form_error = RwSignal::new(None::<(RunKey, String)>);
    let key = Memo::new(move |_| (options.get(), run_no.get()));
    let resource = KeyedResource::new(key, move |_| {
        let parsed = parsed.get_untracked();
        let alive = Alive::current();
        async move {
            match parsed {
                Err(e) => AnalyzeState::Invalid(e),
                Ok(query) if !query.has_seed() => AnalyzeState::Idle,
                Ok(query) => {
                    recorder::start_run();
                    let report = move |s: Step| {
                        if alive.get() {
                            step.try_set(s);
                        }
                    };
                    report(Step::Seed);
                    match analyze(&query, report).await {
                        Ok(o) => AnalyzeState::Done {
                            analysis: Arc::new(o.analysis),
                            failures: o.failures,
                            notices: o.notices,
                            rows: Arc::new(o.rows),
                            aliases: Arc::new(o.aliases),
                        },
                        Err(e) => AnalyzeState::Failed(e),
                    }
                }
            }
        }
    });
    let state = Signal::derive(move || {
        let now = key.get();
        match form_error.get() {
            Some((k, e)) if k == now => AnalyzeState::Invalid(e),
            _ => resource
                .get()
                .unwrap_or_else(|| AnalyzeState::Running(step.get())),
        }
    });
    AnalysisRun {
        state,
        rerun: Callback::new(move |()| run_no.update(|n| *n += 1)),
        form_error: Callback::new(move |e: String| form_error.set(Some((key.get_untracked(), e)))),
    }
}
