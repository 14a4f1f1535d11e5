//! Checks over the source tree itself:
//! - every protocol note the code cites exists in the repository: each `docs/<note>.md` named in a
//!   source comment is a file under `docs/`, and each `§N.M` after it is one of that note's headings;
//! - every metric the code records is in `server::telemetry::METRICS` (its `# HELP` line), so no
//!   metric reaches `/metrics` undescribed, even one that only appears under rare conditions.

use std::path::{Path, PathBuf};

/// The workspace root (this crate is `server/`).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("server/ has a parent")
        .to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The section numbers a note's headings carry: `## 3. Call search` gives "3", `### 3.5 Answer` "3.5".
fn headings(note: &str) -> Vec<String> {
    note.lines()
        .filter(|l| l.starts_with('#'))
        .filter_map(|l| {
            let number: String = l
                .trim_start_matches('#')
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let number = number.trim_end_matches('.');
            (!number.is_empty()).then(|| number.to_string())
        })
        .collect()
}

/// `(note, section)` pairs cited on one line: each `docs/<note>.md` with the `§` numbers that follow it
/// before the next note is named.
fn citations(line: &str) -> Vec<(String, Option<String>)> {
    let mut found = Vec::new();
    for part in line.split("docs/").skip(1) {
        let Some(end) = part.find(".md") else {
            continue;
        };
        let name = &part[..end];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            continue;
        }
        let note = format!("{name}.md");
        let mut sections = part[end..]
            .split('§')
            .skip(1)
            .map(|s| {
                s.chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '.')
                    .collect::<String>()
                    .trim_end_matches('.')
                    .to_string()
            })
            .filter(|s| !s.is_empty())
            .peekable();
        if sections.peek().is_none() {
            found.push((note, None));
        } else {
            found.extend(sections.map(|s| (note.clone(), Some(s))));
        }
    }
    found
}

#[test]
fn every_cited_note_and_section_exists() {
    let root = root();
    let mut files = Vec::new();
    for dir in [
        "app/src",
        "server/src",
        "server/tests",
        "server/benches",
        "crates",
    ] {
        rust_files(&root.join(dir), &mut files);
    }
    let mut checked = 0;
    let mut missing = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            if !line.trim_start().starts_with("//") {
                continue;
            }
            for (note, section) in citations(line) {
                let path = root.join("docs").join(&note);
                let place = format!("{}:{}", file.display(), n + 1);
                let Ok(body) = std::fs::read_to_string(&path) else {
                    missing.push(format!("{place}: no docs/{note}"));
                    continue;
                };
                if let Some(section) = section {
                    if !headings(&body).contains(&section) {
                        missing.push(format!("{place}: docs/{note} has no §{section}"));
                    }
                }
                checked += 1;
            }
        }
    }
    assert!(
        missing.is_empty(),
        "citations that lead nowhere:\n{}",
        missing.join("\n")
    );
    assert!(
        checked > 50,
        "only {checked} citations found: is the scan broken?"
    );
}

#[test]
fn citations_are_read_with_their_sections() {
    assert_eq!(
        citations("// (`docs/homer7-api.md` §3.1–§3.4, and docs/mos-and-rtcp.md §5.2.)"),
        [
            ("homer7-api.md".to_string(), Some("3.1".to_string())),
            ("homer7-api.md".to_string(), Some("3.4".to_string())),
            ("mos-and-rtcp.md".to_string(), Some("5.2".to_string())),
        ]
    );
    assert_eq!(
        headings("# T\n## 3. Search\n### 3.5 Answer (201)\ntext\n"),
        ["3", "3.5"]
    );
}

/// The metric names recorded with `counter!`, `gauge!` or `histogram!` in `text` (the name is the
/// first string literal after the macro's parenthesis, possibly on the next line).
fn recorded_metrics(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for macro_name in ["counter!(", "gauge!(", "histogram!("] {
        for (at, _) in text.match_indices(macro_name) {
            let rest = text[at + macro_name.len()..].trim_start();
            if let Some(literal) = rest.strip_prefix('"') {
                if let Some(end) = literal.find('"') {
                    names.push(literal[..end].to_string());
                }
            }
        }
    }
    names
}

#[test]
fn every_recorded_metric_has_help() {
    let root = root();
    let mut files = Vec::new();
    for dir in ["server/src", "crates"] {
        rust_files(&root.join(dir), &mut files);
    }
    let described: Vec<&str> = server::telemetry::METRICS.iter().map(|m| m.0).collect();
    let mut recorded = 0;
    let mut undescribed = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for name in recorded_metrics(&text) {
            recorded += 1;
            if !described.contains(&name.as_str()) {
                undescribed.push(format!("{name} ({})", file.display()));
            }
        }
    }
    assert!(
        undescribed.is_empty(),
        "metrics without an entry in telemetry::METRICS:\n{}",
        undescribed.join("\n")
    );
    assert!(
        recorded > 30,
        "only {recorded} metrics found: is the scan broken?"
    );
}

#[test]
fn recorded_metric_names_are_read_across_lines() {
    let text = "metrics::counter!(\n    \"a_total\", \"k\" => v)\n gauge!(\"b\").set(1.0); histogram!(name)";
    assert_eq!(recorded_metrics(text), ["a_total", "b"]);
}
