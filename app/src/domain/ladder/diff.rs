//! Line diff of two raw SIP messages for the message-diff view: a longest-common-subsequence diff
//! over lines, with the common head and tail trimmed first. Pure; input size is capped so the
//! quadratic table stays small.

/// Most lines of each side compared by the LCS table; lines past it are listed as removed/added.
pub const MAX_DIFF_LINES: usize = 1000;

/// One line of a diff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiffLine {
    /// In both messages.
    Same(String),
    /// Only in the first message.
    Removed(String),
    /// Only in the second message.
    Added(String),
}

/// The line diff turning `a` into `b`. Lines end at `\n`, with a trailing `\r` dropped, so CRLF and
/// LF messages compare alike.
pub fn diff_lines(a: &str, b: &str) -> Vec<DiffLine> {
    let a: Vec<&str> = a.lines().collect();
    let b: Vec<&str> = b.lines().collect();
    let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let (a_rest, b_rest) = (a.get(head..).unwrap_or(&[]), b.get(head..).unwrap_or(&[]));
    let tail = a_rest
        .iter()
        .rev()
        .zip(b_rest.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let a_mid = a_rest.get(..a_rest.len() - tail).unwrap_or(&[]);
    let b_mid = b_rest.get(..b_rest.len() - tail).unwrap_or(&[]);

    let mut out: Vec<DiffLine> = Vec::with_capacity(a.len().max(b.len()));
    out.extend(a.iter().take(head).map(|l| DiffLine::Same((*l).to_owned())));
    let (a_cmp, a_over) = a_mid.split_at(a_mid.len().min(MAX_DIFF_LINES));
    let (b_cmp, b_over) = b_mid.split_at(b_mid.len().min(MAX_DIFF_LINES));
    lcs_diff(a_cmp, b_cmp, &mut out);
    out.extend(a_over.iter().map(|l| DiffLine::Removed((*l).to_owned())));
    out.extend(b_over.iter().map(|l| DiffLine::Added((*l).to_owned())));
    out.extend(
        a_rest
            .iter()
            .skip(a_rest.len() - tail)
            .map(|l| DiffLine::Same((*l).to_owned())),
    );
    out
}

/// Classic LCS table diff; `a` and `b` have at most [`MAX_DIFF_LINES`] lines each.
fn lcs_diff(a: &[&str], b: &[&str], out: &mut Vec<DiffLine>) {
    let (n, m) = (a.len(), b.len());
    let cols = m + 1;
    // table[i * cols + j] = LCS length of a[i..] and b[j..]; at most 1000, so u16 fits.
    let mut table = vec![0u16; (n + 1) * cols];
    let at = |i: usize, j: usize| i * cols + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            let value = if a.get(i) == b.get(j) {
                table.get(at(i + 1, j + 1)).map_or(0, |v| v + 1)
            } else {
                let down = table.get(at(i + 1, j)).copied().unwrap_or(0);
                let right = table.get(at(i, j + 1)).copied().unwrap_or(0);
                down.max(right)
            };
            if let Some(slot) = table.get_mut(at(i, j)) {
                *slot = value;
            }
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => {
                out.push(DiffLine::Same((*x).to_owned()));
                i += 1;
                j += 1;
            }
            (Some(x), Some(_))
                if table.get(at(i + 1, j)).copied().unwrap_or(0)
                    >= table.get(at(i, j + 1)).copied().unwrap_or(0) =>
            {
                out.push(DiffLine::Removed((*x).to_owned()));
                i += 1;
            }
            (_, Some(y)) => {
                out.push(DiffLine::Added((*y).to_owned()));
                j += 1;
            }
            (Some(x), None) => {
                out.push(DiffLine::Removed((*x).to_owned()));
                i += 1;
            }
            (None, None) => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DiffLine::{Added, Removed, Same};
    use super::*;

    fn lines(diff: &[DiffLine]) -> Vec<String> {
        diff.iter()
            .map(|d| match d {
                Same(l) => format!(" {l}"),
                Removed(l) => format!("-{l}"),
                Added(l) => format!("+{l}"),
            })
            .collect()
    }

    #[test]
    fn diff_shows_changed_and_inserted_headers() {
        let a = "INVITE sip:1@x SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n\r\n";
        let b = "INVITE sip:1@x SIP/2.0\r\nVia: SIP/2.0/UDP b;branch=z9hG4bK2\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 69\r\n\r\n";
        assert_eq!(
            lines(&diff_lines(a, b)),
            vec![
                " INVITE sip:1@x SIP/2.0",
                "+Via: SIP/2.0/UDP b;branch=z9hG4bK2",
                " Via: SIP/2.0/UDP a;branch=z9hG4bK1",
                " CSeq: 1 INVITE",
                "-Max-Forwards: 70",
                "+Max-Forwards: 69",
                " ",
            ]
        );
    }

    #[test]
    fn diff_of_equal_or_empty_texts() {
        assert!(diff_lines("a\nb", "a\r\nb")
            .iter()
            .all(|d| matches!(d, Same(_))));
        assert_eq!(diff_lines("", "x"), vec![Added("x".into())]);
        assert_eq!(diff_lines("x", ""), vec![Removed("x".into())]);
        assert!(diff_lines("", "").is_empty());
    }

    #[test]
    fn diff_caps_huge_inputs() {
        let a: String = (0..3000).map(|i| format!("a{i}\n")).collect();
        let b: String = (0..3000).map(|i| format!("b{i}\n")).collect();
        let diff = diff_lines(&a, &b);
        assert_eq!(diff.len(), 6000);
        assert_eq!(
            diff.iter().filter(|d| matches!(d, Removed(_))).count(),
            3000
        );
    }
}
