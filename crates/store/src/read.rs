//! Queries over the partitions, shared by the HOMER API: filtered searches newest first, rows by
//! session id or row id, and correlation links. Every query walks only the partitions that overlap
//! its time window.

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, Row as SqlRow};

use super::index::{Profile, Row};
use super::postings;
use super::schema::{self, COLUMNS};
use super::terms::{self, Field, Term};
use super::StoreError;

/// Most session ids bound into one `IN (...)` list.
pub const MAX_IDS_PER_QUERY: usize = 500;

/// A row as read back: the stored fields with the row's id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoredRow {
    /// Unique across the store.
    pub id: i64,
    /// The stored fields; `profile` is the table family it came from.
    pub row: Row,
}

impl StoredRow {
    fn from_sql(profile: Profile, row: &SqlRow<'_>) -> rusqlite::Result<StoredRow> {
        Ok(StoredRow {
            id: row.get(0)?,
            row: Row {
                profile: Some(profile),
                time_us: row.get(1)?,
                sid: row.get(2)?,
                correlation_id: row.get(3)?,
                method: row.get(4)?,
                cseq: row.get(5)?,
                from_user: row.get(6)?,
                from_tag: row.get(7)?,
                from_domain: row.get(8)?,
                to_user: row.get(9)?,
                to_tag: row.get(10)?,
                to_domain: row.get(11)?,
                ruri_user: row.get(12)?,
                ruri_domain: row.get(13)?,
                user_agent: row.get(14)?,
                src_ip: row.get(15)?,
                src_port: row.get(16)?,
                dst_ip: row.get(17)?,
                dst_port: row.get(18)?,
                family: row.get(19)?,
                transport: row.get(20)?,
                payload_type: row.get(21)?,
                capture_id: row.get(22)?,
                node: row.get(23)?,
                raw: row.get(24)?,
            },
        })
    }
}

/// A time window, µs since the Unix epoch, both ends inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub from_us: i64,
    pub to_us: i64,
}

impl Window {
    /// The window of HOMER's epoch-ms `from`/`to`.
    pub fn from_ms(from_ms: i64, to_ms: i64) -> Window {
        Window {
            from_us: from_ms.saturating_mul(1000),
            to_us: to_ms.saturating_mul(1000).saturating_add(999),
        }
    }

    /// The window widened by `before_us` and `after_us`.
    pub fn widened(self, before_us: i64, after_us: i64) -> Window {
        Window {
            from_us: self.from_us.saturating_sub(before_us),
            to_us: self.to_us.saturating_add(after_us),
        }
    }
}

/// A compiled WHERE fragment with `?` placeholders and its values.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Condition {
    /// SQL over the data-table columns; empty means no condition.
    pub sql: String,
    pub params: Vec<Value>,
    /// Terms whose postings hold every row the SQL can match ([`terms::Plan`]); `None` reads the
    /// time range.
    pub terms: Option<Vec<Term>>,
}

/// Segments a search reads in its first step; each next step reads twice as many.
const FIRST_SEGMENT_STEP: usize = 4;

/// Runs `read` on `conn`, stopping it with [`StoreError::TimedOut`] once it has run for `budget`
/// (SQLite checks every few thousand steps, so a stop comes within milliseconds of the budget).
///
/// # Errors
/// [`StoreError::TimedOut`], or whatever `read` returns.
pub fn within_budget<T>(
    conn: &mut Connection,
    budget: std::time::Duration,
    read: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let started = std::time::Instant::now();
    let stopped = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stopped.clone();
    conn.progress_handler(
        5_000,
        Some(move || {
            let over = started.elapsed() >= budget;
            if over {
                flag.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            over
        }),
    )?;
    let outcome = read(conn);
    conn.progress_handler(0, None::<fn() -> bool>)?;
    if stopped.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(StoreError::TimedOut(budget));
    }
    outcome
}

/// Suffixes of the partitions overlapping `window`, newest first.
///
/// # Errors
/// SQLite fails.
pub fn partitions_in(conn: &Connection, window: Window) -> Result<Vec<String>, StoreError> {
    let mut all = schema::list_partitions(conn)?;
    all.retain(|(_, p)| p.overlaps(window.from_us, window.to_us));
    all.reverse();
    Ok(all.into_iter().map(|(suffix, _)| suffix).collect())
}

/// The newest `limit` rows of `profile` in `window` matching `condition`, newest first (ties by
/// id, newest first): the order is fixed before the limit applies.
///
/// # Errors
/// SQLite fails (a partition dropped meanwhile is skipped).
pub fn search(
    conn: &Connection,
    profile: Profile,
    window: Window,
    condition: &Condition,
    limit: usize,
) -> Result<Vec<StoredRow>, StoreError> {
    let mut out = Vec::new();
    let terms = condition
        .terms
        .as_ref()
        .filter(|t| !t.is_empty() && (profile.is_sip() || t.iter().all(|t| !t.field.sip_only())));
    for suffix in partitions_in(conn, window)? {
        let remaining = limit.saturating_sub(out.len());
        if remaining == 0 {
            break;
        }
        let found = match terms {
            Some(terms) => {
                search_postings(conn, profile, &suffix, window, condition, terms, remaining)?
            }
            None => search_time(conn, profile, &suffix, window, condition, remaining)?,
        };
        out.extend(found);
    }
    Ok(out)
}

fn filter_sql(condition: &Condition) -> String {
    if condition.sql.is_empty() {
        String::new()
    } else {
        format!(" AND ({})", condition.sql)
    }
}

/// A partition's newest matches by its time index.
fn search_time(
    conn: &Connection,
    profile: Profile,
    suffix: &str,
    window: Window,
    condition: &Condition,
    limit: usize,
) -> Result<Vec<StoredRow>, StoreError> {
    // The inner query picks the ids, so only (time, id) pairs are sorted, never the payloads of
    // every match; the outer one reads the chosen rows.
    let filter = filter_sql(condition);
    let table = schema::table_name(profile, suffix);
    let sql = format!(
        "SELECT id, {COLUMNS} FROM {table} WHERE id IN (SELECT id FROM {table} \
         WHERE time_us BETWEEN ? AND ?{filter} ORDER BY time_us DESC, id DESC LIMIT ?) \
         ORDER BY time_us DESC, id DESC"
    );
    let mut values = vec![Value::Integer(window.from_us), Value::Integer(window.to_us)];
    values.extend(condition.params.iter().cloned());
    values.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
    query_rows(conn, profile, &sql, values)
}

/// A partition's newest matches by its postings: segments newest first, a growing step of them at
/// a time, until `limit` rows are found that no older segment can beat.
fn search_postings(
    conn: &Connection,
    profile: Profile,
    suffix: &str,
    window: Window,
    condition: &Condition,
    terms: &[Term],
    limit: usize,
) -> Result<Vec<StoredRow>, StoreError> {
    let segments = segments_in(conn, suffix, window)?;
    let table = schema::table_name(profile, suffix);
    let postings = postings::terms_table(suffix);
    let filter = filter_sql(condition);
    let hashes: Vec<Value> = terms.iter().map(|t| Value::Integer(t.hash())).collect();
    let term_marks = placeholders(hashes.len());
    let mut found: Vec<StoredRow> = Vec::new();
    let mut at = 0;
    let mut step = FIRST_SEGMENT_STEP;
    while at < segments.len() {
        let chunk = &segments[at..(at + step).min(segments.len())];
        at += chunk.len();
        step = step.saturating_mul(2);
        // `+time_us`: the rows come from the postings by id, never from the time index.
        let sql = format!(
            "SELECT id, {COLUMNS} FROM {table} WHERE id IN (SELECT id FROM {table} WHERE id IN \
             (SELECT id FROM {postings} WHERE seg IN ({}) AND term IN ({term_marks})) \
             AND +time_us BETWEEN ? AND ?{filter} ORDER BY time_us DESC, id DESC LIMIT ?) \
             ORDER BY time_us DESC, id DESC",
            placeholders(chunk.len())
        );
        let mut values: Vec<Value> = chunk.iter().map(|s| Value::Integer(s.seg)).collect();
        values.extend(hashes.iter().cloned());
        values.extend([Value::Integer(window.from_us), Value::Integer(window.to_us)]);
        values.extend(condition.params.iter().cloned());
        values.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        found.extend(query_rows(conn, profile, &sql, values)?);
        found.sort_by_key(|r| std::cmp::Reverse((r.row.time_us, r.id)));
        found.truncate(limit);
        // Segments are in order of their newest row: once `limit` rows are newer than the next
        // segment's newest, no older segment can change the answer.
        if let (Some(last), Some(next)) = (found.get(limit.saturating_sub(1)), segments.get(at)) {
            if found.len() >= limit && last.row.time_us > next.max_us {
                break;
            }
        }
    }
    Ok(found)
}

/// A postings segment and its time range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SegmentRange {
    seg: i64,
    max_us: i64,
}

/// The segments of a partition overlapping `window`, newest first (by their newest row).
fn segments_in(
    conn: &Connection,
    suffix: &str,
    window: Window,
) -> Result<Vec<SegmentRange>, StoreError> {
    let sql = format!(
        "SELECT seg, max_us FROM {} WHERE max_us >= ?1 AND min_us <= ?2 ORDER BY max_us DESC",
        postings::segments_table(suffix)
    );
    let mut stmt = match conn.prepare_cached(&sql) {
        Ok(stmt) => stmt,
        Err(e) if is_missing_table(&e) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let segments = stmt
        .query_map(rusqlite::params![window.from_us, window.to_us], |r| {
            Ok(SegmentRange {
                seg: r.get(0)?,
                max_us: r.get(1)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(segments)
}

/// Ids of the rows posted under one of `sids` in the partition's segments overlapping `window`
/// (a superset: hashes can collide, so callers test `sid` itself).
fn ids_by_sid(
    conn: &Connection,
    suffix: &str,
    window: Window,
    sids: &[String],
) -> Result<Vec<i64>, StoreError> {
    let sql = format!(
        "SELECT id FROM {} WHERE seg IN (SELECT seg FROM {} WHERE max_us >= ? AND min_us <= ?) \
         AND term IN ({})",
        postings::terms_table(suffix),
        postings::segments_table(suffix),
        placeholders(sids.len())
    );
    let mut values = vec![Value::Integer(window.from_us), Value::Integer(window.to_us)];
    values.extend(
        sids.iter()
            .map(|s| Value::Integer(terms::term(Field::Sid, s))),
    );
    let mut stmt = match conn.prepare_cached(&sql) {
        Ok(stmt) => stmt,
        Err(e) if is_missing_table(&e) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let ids = stmt
        .query_map(params_from_iter(values), |r| r.get(0))?
        .collect::<Result<Vec<i64>, _>>()?;
    Ok(ids)
}

/// Every row of the given profiles whose `sid` is one of `sids`, in `window`, oldest first; at
/// most `limit` rows (more is an error, not a silent partial answer).
///
/// # Errors
/// SQLite fails; [`StoreError::RowLimit`] when more than `limit` rows match.
pub fn rows_by_sid(
    conn: &Connection,
    profiles: &[Profile],
    window: Window,
    sids: &[String],
    limit: usize,
) -> Result<Vec<StoredRow>, StoreError> {
    let mut out = Vec::new();
    for chunk in sids.chunks(MAX_IDS_PER_QUERY) {
        let marks = placeholders(chunk.len());
        for suffix in partitions_in(conn, window)? {
            let ids = ids_by_sid(conn, &suffix, window, chunk)?;
            if ids.is_empty() {
                continue;
            }
            let ids_json = Value::Text(format!(
                "[{}]",
                ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
            ));
            for &profile in profiles {
                let sql = format!(
                    "SELECT id, {COLUMNS} FROM {} WHERE id IN (SELECT value FROM json_each(?)) \
                     AND sid IN ({marks}) AND +time_us BETWEEN ? AND ?",
                    schema::table_name(profile, &suffix)
                );
                let mut values = vec![ids_json.clone()];
                values.extend(chunk.iter().map(|s| Value::Text(s.clone())));
                values.push(Value::Integer(window.from_us));
                values.push(Value::Integer(window.to_us));
                out.extend(query_rows(conn, profile, &sql, values)?);
                if out.len() > limit {
                    return Err(StoreError::RowLimit(limit));
                }
            }
        }
    }
    out.sort_by_key(|r| (r.row.time_us, r.id));
    out.dedup_by_key(|r| r.id);
    Ok(out)
}

/// Rows of `profile` with one of `ids`, in `window`.
///
/// # Errors
/// SQLite fails.
pub fn rows_by_id(
    conn: &Connection,
    profile: Profile,
    window: Window,
    ids: &[i64],
    limit: usize,
) -> Result<Vec<StoredRow>, StoreError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(MAX_IDS_PER_QUERY) {
        let marks = placeholders(chunk.len());
        for suffix in partitions_in(conn, window)? {
            let sql = format!(
                "SELECT id, {COLUMNS} FROM {} WHERE id IN ({marks}) AND time_us BETWEEN ? AND ?",
                schema::table_name(profile, &suffix)
            );
            let mut values: Vec<Value> = chunk.iter().map(|id| Value::Integer(*id)).collect();
            values.push(Value::Integer(window.from_us));
            values.push(Value::Integer(window.to_us));
            out.extend(query_rows(conn, profile, &sql, values)?);
        }
    }
    out.sort_by_key(|r| (r.row.time_us, r.id));
    out.truncate(limit);
    Ok(out)
}

/// Session ids and correlation values linked to `keys` in `window`: the `sid`s of rows that carry
/// one of `keys` as a correlation value, and the correlation values of rows whose `sid` is one of
/// `keys`.
///
/// # Errors
/// SQLite fails.
pub fn linked_keys(
    conn: &Connection,
    window: Window,
    keys: &[String],
) -> Result<Vec<String>, StoreError> {
    let mut out: Vec<String> = Vec::new();
    for chunk in keys.chunks(MAX_IDS_PER_QUERY) {
        let marks = placeholders(chunk.len());
        for suffix in partitions_in(conn, window)? {
            let table = schema::link_table(&suffix);
            let sql = format!(
                "SELECT sid FROM {table} WHERE value IN ({marks}) AND time_us BETWEEN ? AND ? \
                 UNION SELECT value FROM {table} WHERE sid IN ({marks}) AND time_us BETWEEN ? AND ?"
            );
            let mut values: Vec<Value> = Vec::new();
            for _ in 0..2 {
                values.extend(chunk.iter().map(|s| Value::Text(s.clone())));
                values.push(Value::Integer(window.from_us));
                values.push(Value::Integer(window.to_us));
            }
            let found = match conn.prepare(&sql) {
                Ok(mut stmt) => stmt
                    .query_map(params_from_iter(values), |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?,
                Err(e) if is_missing_table(&e) => Vec::new(),
                Err(e) => return Err(e.into()),
            };
            for key in found {
                if !out.contains(&key) {
                    out.push(key);
                }
            }
        }
    }
    Ok(out)
}

fn query_rows(
    conn: &Connection,
    profile: Profile,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<StoredRow>, StoreError> {
    let mut stmt = match conn.prepare_cached(sql) {
        Ok(stmt) => stmt,
        // Retention dropped the partition between listing and querying it.
        Err(e) if is_missing_table(&e) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let rows = stmt
        .query_map(params_from_iter(values), |row| {
            StoredRow::from_sql(profile, row)
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// True for SQLite's "no such table" (a partition dropped, or a stray catalogue entry).
pub(super) fn is_missing_table(error: &rusqlite::Error) -> bool {
    error.to_string().contains("no such table")
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PartitionSpan;
    use crate::partition::Partition;

    const T: i64 = 1_783_166_400_000_000; // 2026-07-04T12:00:00Z

    fn store_with(rows: &[(i64, i64, &str)]) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        schema::create_catalogue(&conn).unwrap();
        let partition = Partition::containing(T, PartitionSpan::Day);
        schema::create_partition(&conn, &partition).unwrap();
        conn.execute_batch("ATTACH DATABASE ':memory:' AS idx")
            .unwrap();
        conn.execute_batch(&postings::tables_ddl("idx.", &partition.suffix()))
            .unwrap();
        let table = schema::table_name(Profile::Call, &partition.suffix());
        for (id, time_us, user) in rows {
            conn.execute(
                &format!(
                    "INSERT INTO {table} (id, {COLUMNS}) VALUES (?1, ?2, 's', NULL, 'INVITE', '', \
                     ?3, '', '', '', '', '', '', '', '', '', 0, '', 0, 2, 17, 1, 0, 'n', x'00')"
                ),
                rusqlite::params![id, time_us, user],
            )
            .unwrap();
        }
        conn
    }

    #[test]
    fn search_takes_the_newest_matches_before_the_limit_ties_by_id() {
        let conn = store_with(&[
            (1, T + 30, "a"),
            (2, T + 10, "a"),
            (3, T + 30, "a"),
            (4, T + 40, "b"),
            (5, T + 20, "a"),
        ]);
        let condition = Condition {
            sql: "from_user = ?".into(),
            params: vec![Value::Text("a".into())],
            terms: None,
        };
        let window = Window {
            from_us: T,
            to_us: T + 100,
        };
        let found = search(&conn, Profile::Call, window, &condition, 3).unwrap();
        let ids: Vec<i64> = found.iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![3, 1, 5]);
        assert!(found
            .iter()
            .all(|r| r.row.profile == Some(Profile::Call) && r.row.from_user == "a"));
        assert_eq!(
            found.first().map(|r| r.row.correlation_id_or_sid()),
            Some("s")
        );
    }

    /// Writes postings for the rows of `store_with` as the writer would, `per_segment` rows to a
    /// segment in id order.
    fn post(conn: &Connection, rows: &[(i64, i64, &str)], per_segment: usize) {
        let suffix = Partition::containing(T, PartitionSpan::Day).suffix();
        for (n, (id, time_us, user)) in rows.iter().enumerate() {
            let seg = (n / per_segment) as i64;
            for term in [
                terms::term(Field::FromUser, user),
                terms::term(Field::Sid, "s"),
            ] {
                conn.execute(
                    &format!("INSERT INTO idx.hep_terms_{suffix} VALUES (?1, ?2, ?3)"),
                    rusqlite::params![seg, term, id],
                )
                .unwrap();
            }
            conn.execute(
                &format!(
                    "INSERT INTO idx.hep_segs_{suffix} VALUES (?1, ?2, ?2) ON CONFLICT (seg) DO UPDATE \
                     SET min_us = min(min_us, excluded.min_us), max_us = max(max_us, excluded.max_us)"
                ),
                rusqlite::params![seg, time_us],
            )
            .unwrap();
        }
    }

    #[test]
    fn postings_find_what_the_time_index_finds_whatever_the_limit() {
        // Times out of order across segments, ties, and a second user.
        let rows: Vec<(i64, i64, &str)> = (1..=60)
            .map(|id| (id, T + (id * 37) % 23, if id % 3 == 0 { "b" } else { "a" }))
            .collect();
        let conn = store_with(&rows);
        post(&conn, &rows, 7);
        let window = Window {
            from_us: T + 2,
            to_us: T + 20,
        };
        for user in ["a", "b", "c"] {
            let by_time = Condition {
                sql: "from_user = ?".into(),
                params: vec![Value::Text(user.into())],
                terms: None,
            };
            let by_postings = Condition {
                terms: Some(vec![Term {
                    field: Field::FromUser,
                    value: user.into(),
                }]),
                ..by_time.clone()
            };
            for limit in [1, 2, 3, 5, 8, 13, 40, 100] {
                let ids = |c: &Condition| -> Vec<i64> {
                    search(&conn, Profile::Call, window, c, limit)
                        .unwrap()
                        .iter()
                        .map(|r| r.id)
                        .collect()
                };
                assert_eq!(ids(&by_postings), ids(&by_time), "{user} limit {limit}");
            }
        }
        let by_sid =
            rows_by_sid(&conn, &[Profile::Call], window, &["s".into()], usize::MAX).unwrap();
        let in_window = rows
            .iter()
            .filter(|(_, t, _)| (T + 2..=T + 20).contains(t))
            .count();
        assert_eq!(by_sid.len(), in_window);
        assert!(matches!(
            rows_by_sid(
                &conn,
                &[Profile::Call],
                window,
                &["s".into()],
                in_window - 1
            ),
            Err(StoreError::RowLimit(_))
        ));
    }
}
