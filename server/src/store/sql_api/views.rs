//! The TEMP views of the SQL API (`hep_1`, `hep_5`, `hep_35`, `hep_100`) over the partitions a
//! query needs.
//!
//! Only partitions overlapping the query's range are included, and only tables that exist (a
//! partition in the catalogue whose tables are gone is left out rather than failing the view).
//! SQLite allows at most 500 terms in one compound SELECT (hour partitions over 7 days give 504
//! for `hep_1`), so the terms are grouped into nested compounds of at most [`MAX_TERMS`].

use std::collections::HashSet;

use rusqlite::Connection;

use super::scope::Range;
use crate::store::index::Profile;
use crate::store::{schema, StoreError};

/// The view names, for the SQL analysis.
pub const VIEWS: [&str; 4] = ["hep_1", "hep_5", "hep_35", "hep_100"];
/// Terms per compound SELECT, under SQLite's default limit of 500.
const MAX_TERMS: usize = 400;

/// Ours first, then HEPop's names for the same stored fields (`time_sec`/`time_usec` split
/// `time_us`; `proto_type` is the HEP payload type, 1 SIP, 5 RTCP, 100 log; `protocol` the IP
/// protocol, 17 UDP, 6 TCP, 132 SCTP; `ip_family` HEP's chunk 1 as hep-js reports it in
/// `protocolFamily`, 2 IPv4, 10 IPv6), so HEPop queries run unchanged.
const VIEW_COLUMNS: &str = "id, strftime('%Y-%m-%dT%H:%M:%fZ', time_us / 1000000.0, 'unixepoch') \
     AS time, time_us, '{profile}' AS profile, sid AS call_id, COALESCE(correlation_id, sid) AS \
     correlation_id, method, cseq, from_user, to_user, ruri_user, user_agent, src_ip, src_port, \
     dst_ip, dst_port, transport, payload_type, node, CAST(raw AS TEXT) AS payload, time_us / \
     1000000 AS time_sec, time_us % 1000000 AS time_usec, capture_id, payload_type AS proto_type, \
     transport AS protocol, family AS ip_family";

/// Creates the TEMP views over the partitions overlapping `range`; with `window_from_us`, the
/// views also hold only rows from then on (the default window).
///
/// # Errors
/// SQLite fails.
pub fn create_views(
    conn: &Connection,
    range: Range,
    window_from_us: Option<i64>,
) -> Result<(), StoreError> {
    let partitions = schema::list_partitions(conn)?;
    let tables: HashSet<String> = conn
        .prepare("SELECT name FROM main.sqlite_master WHERE type = 'table'")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let profiles: [&[Profile]; 4] = [
        &[Profile::Call, Profile::Registration, Profile::SipDefault],
        &[Profile::Rtcp],
        &[Profile::Report],
        &[Profile::Log],
    ];
    let filter = window_from_us.map_or(String::new(), |f| format!(" WHERE time_us >= {f}"));
    let from = range.from_us.unwrap_or(i64::MIN);
    let to = range.to_us.unwrap_or(i64::MAX);
    for (view, profiles) in VIEWS.into_iter().zip(profiles) {
        let mut terms = Vec::new();
        for (suffix, partition) in &partitions {
            if !partition.overlaps(from, to) {
                continue;
            }
            for profile in profiles {
                let table = schema::table_name(*profile, suffix);
                if tables.contains(&table) {
                    terms.push(format!(
                        "SELECT {} FROM main.{table}{filter}",
                        VIEW_COLUMNS.replace("{profile}", profile.key()),
                    ));
                }
            }
        }
        if terms.is_empty() {
            terms.push(empty_term());
        }
        conn.execute_batch(&format!("CREATE TEMP VIEW {view} AS {};", compound(terms)))?;
    }
    Ok(())
}

/// The terms as one SELECT, nested so that no compound has more than [`MAX_TERMS`] terms.
fn compound(mut terms: Vec<String>) -> String {
    while terms.len() > MAX_TERMS {
        terms = terms
            .chunks(MAX_TERMS)
            .map(|chunk| format!("SELECT * FROM ({})", chunk.join(" UNION ALL ")))
            .collect();
    }
    terms.join(" UNION ALL ")
}

/// A view term with the view's columns and no rows.
fn empty_term() -> String {
    let empty = VIEW_COLUMNS
        .replace("{profile}", "")
        .replace("CAST(raw AS TEXT)", "raw");
    format!(
        "SELECT {empty} FROM (SELECT 0 AS id, 0 AS time_us, '' AS sid, NULL AS \
         correlation_id, '' AS method, '' AS cseq, '' AS from_user, '' AS to_user, '' AS \
         ruri_user, '' AS user_agent, '' AS src_ip, 0 AS src_port, '' AS dst_ip, 0 AS \
         dst_port, 0 AS family, 0 AS transport, 0 AS payload_type, 0 AS capture_id, '' AS node, \
         '' AS raw) WHERE 0"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thousand_terms_nest_under_the_compound_limit() {
        let conn = Connection::open_in_memory().unwrap();
        let terms: Vec<String> = (0..1000).map(|i| format!("SELECT {i} AS n")).collect();
        let sql = format!("SELECT count(*), sum(n) FROM ({})", compound(terms));
        let (count, sum): (i64, i64) = conn
            .query_row(&sql, [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!((count, sum), (1000, 999 * 500));
    }
}
