//! Client-side steps after the HOMER searches: merging the answers of the expanded requests
//! (de-duplicated, newest first) and the method filter.
//!
//! HOMER rows have no global key. Within one table, `id` is unique per data node, so a row is
//! identified by (data node, table, id) (`docs/homer7-api.md` §3.5, §12.1). Rows without an id fall
//! back to their content: (sid, capture time in µs, method, cseq, source, destination).

use std::collections::HashSet;

use crate::domain::homer::HomerRow;

#[derive(Hash, PartialEq, Eq)]
enum RowKey {
    Id {
        node: String,
        table: String,
        id: i64,
    },
    Content {
        sid: String,
        time_us: Option<i64>,
        method: String,
        cseq: String,
        src: (String, Option<u16>),
        dst: (String, Option<u16>),
    },
}

fn row_key(row: &HomerRow) -> RowKey {
    match row.id {
        Some(id) => RowKey::Id {
            node: row.data_node().unwrap_or_default().to_owned(),
            table: row.table.clone(),
            id,
        },
        None => RowKey::Content {
            sid: row.sid.clone(),
            time_us: row.time_us(),
            method: row.method.clone(),
            cseq: row.cseq.clone(),
            src: (row.src_ip.clone(), row.src_port),
            dst: (row.dst_ip.clone(), row.dst_port),
        },
    }
}

/// Merges the row lists of several HOMER answers: duplicates dropped (first kept), then
/// sorted newest first (by capture time, then id; rows without a time last). Stable.
pub fn merge_rows<I>(answers: I) -> Vec<HomerRow>
where
    I: IntoIterator<Item = Vec<HomerRow>>,
{
    let mut seen = HashSet::new();
    let mut rows: Vec<HomerRow> = answers
        .into_iter()
        .flatten()
        .filter(|row| seen.insert(row_key(row)))
        .collect();
    rows.sort_by(|a, b| b.time_us().cmp(&a.time_us()).then_with(|| b.id.cmp(&a.id)));
    rows
}

/// Methods to keep, applied after the search. Empty keeps everything.
///
/// A request row matches its method; a response row matches its reply code (`"486"`) or the
/// method of its CSeq, so `INVITE` keeps the INVITEs and their answers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MethodFilter {
    methods: Vec<String>,
}

impl MethodFilter {
    /// A filter for these methods or reply codes (compared case-insensitively).
    pub fn new<I, S>(methods: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut out: Vec<String> = Vec::new();
        for m in methods {
            let m = m.as_ref().trim().to_ascii_uppercase();
            if !m.is_empty() && !out.contains(&m) {
                out.push(m);
            }
        }
        Self { methods: out }
    }

    /// The methods, upper case, in the order given.
    pub fn methods(&self) -> &[String] {
        &self.methods
    }

    /// Whether the filter keeps everything.
    pub fn is_empty(&self) -> bool {
        self.methods.is_empty()
    }

    /// Whether `row` passes.
    pub fn matches(&self, row: &HomerRow) -> bool {
        if self.methods.is_empty() {
            return true;
        }
        let hit = |name: &str| self.methods.iter().any(|m| m.eq_ignore_ascii_case(name));
        hit(row.method.trim())
            || (row.status_code().is_some() && row.cseq_method().is_some_and(hit))
    }

    /// Keeps the rows that pass, in order.
    pub fn apply(&self, rows: Vec<HomerRow>) -> Vec<HomerRow> {
        rows.into_iter().filter(|r| self.matches(r)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: Option<i64>, node: &str, secs: i64, method: &str, cseq: &str) -> HomerRow {
        HomerRow {
            id,
            dbnode: node.into(),
            table: "hep_proto_1_call".into(),
            sid: "cid".into(),
            time_seconds: Some(secs),
            time_useconds: Some(0),
            method: method.into(),
            cseq: cseq.into(),
            ..HomerRow::default()
        }
    }

    #[test]
    fn merge_drops_duplicates_across_answers_and_sorts_newest_first() {
        let a = vec![
            row(Some(1), "n1", 10, "INVITE", "1 INVITE"),
            row(Some(2), "n1", 11, "180", "1 INVITE"),
        ];
        let b = vec![
            row(Some(2), "n1", 11, "180", "1 INVITE"),
            row(Some(3), "n1", 12, "200", "1 INVITE"),
        ];
        let merged = merge_rows([a, b]);
        let ids: Vec<_> = merged.iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![Some(3), Some(2), Some(1)]);
    }

    #[test]
    fn merge_keeps_same_id_from_different_nodes() {
        let merged = merge_rows([
            vec![row(Some(7), "n1", 10, "INVITE", "1 INVITE")],
            vec![row(Some(7), "n2", 10, "INVITE", "1 INVITE")],
        ]);
        assert_eq!(merged.len(), 2);
    }

    #[test]
    fn merge_dedupes_id_less_rows_by_content() {
        let merged = merge_rows([
            vec![row(None, "", 10, "INVITE", "1 INVITE")],
            vec![
                row(None, "", 10, "INVITE", "1 INVITE"),
                row(None, "", 10, "100", "1 INVITE"),
            ],
        ]);
        assert_eq!(merged.len(), 2);
    }

    #[test]
    fn method_filter_keeps_requests_and_their_responses() {
        let f = MethodFilter::new(["invite", " BYE ", "invite"]);
        assert_eq!(f.methods(), ["INVITE", "BYE"]);
        assert!(f.matches(&row(None, "", 0, "INVITE", "1 INVITE")));
        assert!(f.matches(&row(None, "", 0, "200", "1 INVITE")));
        assert!(!f.matches(&row(None, "", 0, "OPTIONS", "1 OPTIONS")));
        assert!(!f.matches(&row(None, "", 0, "200", "2 OPTIONS")));
        let codes = MethodFilter::new(["486"]);
        assert!(codes.matches(&row(None, "", 0, "486", "1 INVITE")));
        assert!(!codes.matches(&row(None, "", 0, "INVITE", "1 INVITE")));
        assert!(MethodFilter::default().matches(&row(None, "", 0, "X", "")));
    }
}
