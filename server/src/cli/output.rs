//! Printing: aligned tables (bold header and coloured status only with colours on), the time
//! zone, JSON and JSONL, and the "limit reached" / notice lines on stderr.

use std::io::IsTerminal;

use jiff::tz::TimeZone;

use super::{CliError, ColorChoice, Globals};

/// How results are printed.
#[derive(Clone, Debug)]
pub struct Printer {
    /// Zone of printed times and of absolute times in flags.
    pub tz: TimeZone,
    /// Whether to use ANSI colours.
    pub color: bool,
}

impl Printer {
    /// From `--tz` and `--color` (auto: only when stdout is a terminal and `NO_COLOR` is unset).
    ///
    /// # Errors
    /// An unknown time zone (usage).
    pub fn from_globals(globals: &Globals) -> Result<Self, CliError> {
        let tz = match globals.tz.as_deref().map(str::trim) {
            None | Some("") => TimeZone::system(),
            Some(name) => {
                TimeZone::get(name).map_err(|e| CliError::Usage(format!("--tz {name:?}: {e}")))?
            }
        };
        let color = match globals.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        };
        Ok(Self { tz, color })
    }

    /// `text` in bold when colours are on.
    pub fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }

    /// `text` in an SGR colour (`"32"` green, …) when colours are on.
    pub fn paint(&self, sgr: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{sgr}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// An aligned table: columns separated by two spaces, the header in bold, the last column
    /// not padded. `paint` colours a cell after alignment (so escapes do not break widths).
    pub fn table(
        &self,
        header: &[&str],
        rows: &[Vec<String>],
        paint: &dyn Fn(usize, &str) -> Option<&'static str>,
    ) -> String {
        let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
        for row in rows {
            for (i, cell) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(cell.chars().count());
                }
            }
        }
        let line = |cells: Vec<String>, colour: &dyn Fn(usize, &str) -> Option<&'static str>| {
            let last = cells.len().saturating_sub(1);
            let mut out = String::new();
            for (i, cell) in cells.iter().enumerate() {
                let width = widths.get(i).copied().unwrap_or(0);
                let padded = if i == last {
                    cell.clone()
                } else {
                    format!("{cell:<width$}  ")
                };
                match colour(i, cell) {
                    Some(sgr) => {
                        let (text, pad) = padded.split_at(cell.len());
                        out.push_str(&self.paint(sgr, text));
                        out.push_str(pad);
                    }
                    None => out.push_str(&padded),
                }
            }
            out.trim_end().to_owned()
        };
        let mut out = String::new();
        let head = line(header.iter().map(|h| (*h).to_owned()).collect(), &|_, _| {
            self.color.then_some("1")
        });
        out.push_str(&head);
        out.push('\n');
        for row in rows {
            out.push_str(&line(row.clone(), paint));
            out.push('\n');
        }
        out
    }
}

/// Prints `text` to stdout as is.
pub fn print(text: &str) {
    print!("{text}");
}

/// Tells on stderr that a limit cut the results.
pub fn limit_reached(limit: u32, noun: &str) {
    eprintln!(
        "hepscope: limit reached: only the first {limit} {noun} are shown; narrow the time range or add filters, or raise --limit"
    );
}

/// A browser download's text ending in a newline (JSON has none of its own).
pub fn download_text(mut text: String) -> String {
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// A notice on stderr.
pub fn notice(text: &str) {
    eprintln!("hepscope: {text}");
}

/// JSON values as one pretty array or as lines.
pub fn json_values(values: &[serde_json::Value], format: super::Format) -> String {
    match format {
        super::Format::Json => {
            let mut text = serde_json::to_string_pretty(values).unwrap_or_default();
            text.push('\n');
            text
        }
        super::Format::Jsonl => values.iter().map(|v| format!("{v}\n")).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns_and_colours_only_when_on() {
        let plain = Printer {
            tz: TimeZone::UTC,
            color: false,
        };
        let rows = vec![vec!["a".to_owned(), "long cell".into(), "x".into()]];
        let text = plain.table(&["H1", "H2", "H3"], &rows, &|_, _| Some("32"));
        assert_eq!(text, "H1  H2         H3\na   long cell  x\n");
        let colour = Printer {
            tz: TimeZone::UTC,
            color: true,
        };
        let text = colour.table(&["H"], &[vec!["ok".into()]], &|_, _| Some("32"));
        assert!(text.contains("\x1b[32mok\x1b[0m"), "{text:?}");
    }
}
