//! Links to the call view, shared by the result tables and the live view.

use crate::domain::percent::percent_encode;

/// The link to the call view for some Call-IDs around a time (epoch ms).
pub fn call_link(call_ids: &[String], backend: &str, around_ms: Option<i64>) -> String {
    let ids: Vec<String> = call_ids.iter().map(|id| percent_encode(id)).collect();
    let mut query = Vec::new();
    if let Some(ms) = around_ms {
        query.push(format!("t={ms}"));
    }
    if !backend.is_empty() {
        query.push(format!("backend={}", percent_encode(backend)));
    }
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{}", query.join("&"))
    };
    format!("/call/{}{query}", ids.join(","))
}
