//! Queries over the partitions, shared by the HOMER API: filtered searches newest first, rows by
//! session id or row id, and correlation links. Every query walks only the partitions that overlap
//! its time window.

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, Row as SqlRow};

use super::index::{Profile, Row};
use super::schema::{self, COLUMNS};
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
                capture_pass: row.get(24)?,
                raw: row.get(25)?,
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
    for suffix in partitions_in(conn, window)? {
        let remaining = limit.saturating_sub(out.len());
        if remaining == 0 {
            break;
        }
        let filter = if condition.sql.is_empty() {
            String::new()
        } else {
            format!(" AND ({})", condition.sql)
        };
        // The inner query picks the ids, so only (time, id) pairs are sorted, never the
        // payloads of every match; the outer one reads the chosen rows.
        let table = schema::table_name(profile, &suffix);
        let sql = format!(
            "SELECT id, {COLUMNS} FROM {table} WHERE id IN (SELECT id FROM {table} \
             WHERE time_us BETWEEN ? AND ?{filter} ORDER BY time_us DESC, id DESC LIMIT ?) \
             ORDER BY time_us DESC, id DESC"
        );
        let mut values = vec![Value::Integer(window.from_us), Value::Integer(window.to_us)];
        values.extend(condition.params.iter().cloned());
        values.push(Value::Integer(i64::try_from(remaining).unwrap_or(i64::MAX)));
        out.extend(query_rows(conn, profile, &sql, values)?);
    }
    Ok(out)
}

/// Every row of the given profiles whose `sid` is one of `sids`, in `window`, oldest first.
///
/// # Errors
/// SQLite fails.
pub fn rows_by_sid(
    conn: &Connection,
    profiles: &[Profile],
    window: Window,
    sids: &[String],
) -> Result<Vec<StoredRow>, StoreError> {
    let mut out = Vec::new();
    for chunk in sids.chunks(MAX_IDS_PER_QUERY) {
        let marks = placeholders(chunk.len());
        for suffix in partitions_in(conn, window)? {
            for &profile in profiles {
                let sql = format!(
                    "SELECT id, {COLUMNS} FROM {} WHERE sid IN ({marks}) \
                     AND time_us BETWEEN ? AND ?",
                    schema::table_name(profile, &suffix)
                );
                let mut values: Vec<Value> = chunk.iter().map(|s| Value::Text(s.clone())).collect();
                values.push(Value::Integer(window.from_us));
                values.push(Value::Integer(window.to_us));
                out.extend(query_rows(conn, profile, &sql, values)?);
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

fn is_missing_table(error: &rusqlite::Error) -> bool {
    error.to_string().contains("no such table")
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PartitionSpan;
    use crate::store::partition::Partition;

    const T: i64 = 1_783_166_400_000_000; // 2026-07-04T12:00:00Z

    fn store_with(rows: &[(i64, i64, &str)]) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        schema::create_catalogue(&conn).unwrap();
        let partition = Partition::containing(T, PartitionSpan::Day);
        schema::create_partition(&conn, &partition).unwrap();
        let table = schema::table_name(Profile::Call, &partition.suffix());
        for (id, time_us, user) in rows {
            conn.execute(
                &format!(
                    "INSERT INTO {table} (id, {COLUMNS}) VALUES (?1, ?2, 's', NULL, 'INVITE', '', \
                     ?3, '', '', '', '', '', '', '', '', '', 0, '', 0, 2, 17, 1, 0, 'n', NULL, x'00')"
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
}
