//! Checks over the source tree itself:
//! - every protocol note the code cites exists in the repository: each `docs/<note>.md` named in a
//!   source comment is a file under `docs/`, and each `§N.M` after it is one of that note's headings;
//! - every metric the code records is in `server::telemetry::METRICS` (its `# HELP` line), so no
//!   metric reaches `/metrics` undescribed, even one that only appears under rare conditions;
//! - no cycle between the top-level modules of the server or of the app's pages (`crate::…` and
//!   `super::…` paths), but for the edges in [`ALLOWED_EDGES`].

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

/// Edges still allowed in a cycle, `(tree, from, to)`, each with its owner. Everything else must be
/// acyclic. An entry that no longer exists fails [`allowed_edges_still_exist`], so the list only shrinks.
const ALLOWED_EDGES: &[(&str, &str, &str)] = &[];

/// The trees checked: the directory, the paths that name its root from inside it (besides the right
/// number of `super::`).
const MODULE_TREES: &[(&str, &str)] = &[
    ("server/src", "crate::"),
    ("app/src/ui/pages", "crate::ui::pages::"),
];

type Graph = std::collections::BTreeMap<String, std::collections::BTreeSet<String>>;

/// The top-level module names of `dir`: its `.rs` files (but `lib`, `main`, `mod`) and folders.
fn top_modules(dir: &Path) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let rust_file =
            path.extension().is_some_and(|e| e == "rs") && !["lib", "main", "mod"].contains(&stem);
        if path.is_dir() || rust_file {
            names.insert(stem.to_string());
        }
    }
    names
}

/// The first path segment of each item after `prefix` in `code`: `prefix::a::X` gives `a`,
/// `prefix::{a::X, b}` gives `a` and `b`.
fn names_after(code: &str, prefix: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(prefix) {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':' || c == '$') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0usize;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.push(item.trim().split("::").next().unwrap_or("").to_string());
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            found.push(item.trim().split("::").next().unwrap_or("").to_string());
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.push(name);
        }
    }
    found
}

/// Which top-level modules of `tree` each one names (through `root_prefix` or enough `super::`).
/// Comment lines are skipped: a doc link is no dependency.
fn module_graph(tree: &str, root_prefix: &str) -> Graph {
    let dir = root().join(tree);
    let modules = top_modules(&dir);
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    let mut graph = Graph::new();
    for file in files {
        let Ok(rel) = file.strip_prefix(&dir) else {
            continue;
        };
        let parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let Some(first) = parts.first() else { continue };
        let top = first.trim_end_matches(".rs").to_string();
        if !modules.contains(&top) {
            continue;
        }
        let is_mod = parts.last().is_some_and(|p| p == "mod.rs");
        let levels = parts.len() - usize::from(is_mod);
        let supers = "super::".repeat(levels);
        let code: String = std::fs::read_to_string(&file)
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let mut names = names_after(&code, root_prefix);
        names.extend(names_after(&code, &supers));
        for name in names {
            if name != top && modules.contains(&name) {
                graph.entry(top.clone()).or_default().insert(name);
            }
        }
    }
    graph
}

/// One cycle through `start` inside `graph`, if any: `[start, …, start]`.
fn cycle_through(graph: &Graph, start: &str) -> Option<Vec<String>> {
    let mut previous: std::collections::BTreeMap<String, String> = Default::default();
    let mut queue = std::collections::VecDeque::from([start.to_string()]);
    while let Some(node) = queue.pop_front() {
        for next in graph.get(&node).into_iter().flatten() {
            if next == start {
                let mut path = vec![start.to_string(), node.clone()];
                let mut at = node.clone();
                while let Some(p) = previous.get(&at) {
                    path.push(p.clone());
                    at = p.clone();
                }
                path.reverse();
                path.pop();
                path.insert(0, start.to_string());
                path.dedup();
                path.push(start.to_string());
                return Some(path);
            }
            if next != start && !previous.contains_key(next) {
                previous.insert(next.clone(), node.clone());
                queue.push_back(next.clone());
            }
        }
    }
    None
}

/// The module graphs of the server and of the app's pages have no cycle once the allow-listed edges
/// are left out. Shows the graphs with `cargo test -p server --test source_checks module_graph -- --nocapture`.
#[test]
fn module_graph_has_no_cycle() {
    let mut cycles = Vec::new();
    for (tree, prefix) in MODULE_TREES {
        let mut graph = module_graph(tree, prefix);
        println!("{tree}:");
        for (from, to) in &graph {
            let to: Vec<&str> = to.iter().map(String::as_str).collect();
            println!("  {from} -> {}", to.join(" "));
        }
        for (t, from, to) in ALLOWED_EDGES {
            if t == tree {
                if let Some(edges) = graph.get_mut(*from) {
                    edges.remove(*to);
                }
            }
        }
        for start in graph.keys() {
            if let Some(cycle) = cycle_through(&graph, start) {
                cycles.push(format!("{tree}: {}", cycle.join(" -> ")));
            }
        }
    }
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}

/// Each allow-listed edge is still there: when one is broken, its line goes too.
#[test]
fn allowed_edges_still_exist() {
    for (tree, prefix) in MODULE_TREES {
        let graph = module_graph(tree, prefix);
        for (t, from, to) in ALLOWED_EDGES.iter().filter(|(t, ..)| t == tree) {
            assert!(
                graph.get(*from).is_some_and(|e| e.contains(*to)),
                "{t}: {from} no longer imports {to}; remove it from ALLOWED_EDGES"
            );
        }
    }
}

#[test]
fn module_graph_reads_grouped_and_super_paths() {
    assert_eq!(
        names_after(
            "use crate::{a::{X, Y}, b};\nlet x = crate::c::f();",
            "crate::"
        ),
        ["a", "b", "c"]
    );
    assert_eq!(names_after("use super::super::x;", "super::super::"), ["x"]);
    assert_eq!(
        names_after("use foo_crate::x;", "crate::"),
        Vec::<String>::new()
    );
}
