//! dex-style search: convenience filters, the query language and time ranges, compiled to
//! HOMER 7 search requests (`docs/homer7-api.md` §3).
//!
//! Pipeline: [`lex`](lex::lex) → [`parse`](parse::parse) → [`Expr`] →
//! [`compile`](compile::compile) → [`CompiledSearch`] (requests plus client-side steps). After
//! the searches, [`CompiledSearch::finish_rows`] or [`CompiledSearch::finish_calls`] merge the
//! answers. Pure: `now` and the time zone are passed in.

pub mod ast;
pub mod compile;
pub mod error;
pub mod lex;
pub mod merge;
pub mod parse;
pub mod run;
pub mod time;

pub use ast::{Comparison, Expr, Field, Op};
pub use compile::{compile, compile_with_mapping, CompiledSearch, ResultView, MAX_REQUESTS};
pub use error::{Input, QueryError, QueryErrorKind};
pub use merge::{merge_rows, MethodFilter};
pub use parse::parse;
pub use run::{add_whole_sessions, finish_search, run_search, SearchOutcome, SearchRun};
pub use time::{resolve_range, TimeRange};
