//! One folder per route. A page folder imports shared pieces from `ui::components`, `ui::api` and
//! `ui::context`, never another page folder (`scripts/ui-page-imports.sh` checks it).

pub mod aliases;
pub mod analyze;
pub mod backends;
pub mod call;
pub mod live;
pub mod login;
pub mod search;
pub mod settings;
