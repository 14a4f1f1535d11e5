//! Plain-text export of a laid-out ladder, like sngrep's flow: a host header, then two lines per
//! row (the label over the arrow, the arrow with the time), lifelines drawn with `|`. Pure.

use jiff::tz::TimeZone;

use super::layout::LadderView;
use super::svg::ellipsize;
use super::time::TimeMode;

/// Layout of the text export.
#[derive(Clone, Debug, PartialEq)]
pub struct TextOptions {
    /// Characters per lane (at least 8).
    pub lane_width: usize,
    /// Which time to print.
    pub time_mode: TimeMode,
    /// Zone of absolute times.
    pub time_zone: TimeZone,
}

impl Default for TextOptions {
    fn default() -> Self {
        Self {
            lane_width: 24,
            time_mode: TimeMode::Absolute,
            time_zone: TimeZone::UTC,
        }
    }
}

const TIME_WIDTH: usize = 18;

/// Renders every row of the ladder as text lines ending in `\n`.
pub fn to_text(view: &LadderView, options: &TextOptions) -> String {
    let lane_width = options.lane_width.max(8);
    let width = TIME_WIDTH + lane_width * view.lanes.len().max(1);
    let center = |lane: usize| TIME_WIDTH + lane * lane_width + lane_width / 2;
    let blank = || {
        let mut line = vec![' '; width];
        for lane in 0..view.lanes.len() {
            if let Some(c) = line.get_mut(center(lane)) {
                *c = '|';
            }
        }
        line
    };
    let mut out = String::new();
    for text in [
        view.lanes
            .iter()
            .map(|l| l.label.as_str())
            .collect::<Vec<_>>(),
        view.lanes.iter().map(|l| l.sublabel.as_str()).collect(),
    ] {
        if text.iter().all(|t| t.is_empty()) {
            continue;
        }
        let mut line = vec![' '; width];
        for (lane, label) in text.iter().enumerate() {
            let short = ellipsize(label, lane_width - 2);
            let start = center(lane).saturating_sub(short.chars().count() / 2);
            put(&mut line, start, &short);
        }
        push_line(&mut out, &line);
    }
    for row in &view.rows {
        let mut label = row.label.clone();
        if row.has_sdp {
            label.push_str(" (SDP)");
        }
        if row.retransmissions > 0 {
            label.push_str(&format!(" x{}", row.retransmissions + 1));
        }
        let (from, to) = (center(row.from_lane), center(row.to_lane));
        let mut label_line = blank();
        let mut arrow_line = blank();
        put(
            &mut arrow_line,
            0,
            &ellipsize(
                &row.time_text(options.time_mode, &options.time_zone),
                TIME_WIDTH - 1,
            ),
        );
        if from == to {
            put(&mut arrow_line, from + 1, "<--'");
            put(&mut label_line, from + 1, "---. ");
            put(&mut label_line, from + 6, &label);
        } else {
            let (lo, hi) = (from.min(to), from.max(to));
            let span = hi - lo - 1;
            let arrow: String = (0..span)
                .map(|i| match i {
                    0 if to < from => '<',
                    i if i + 1 == span && to > from => '>',
                    _ => '-',
                })
                .collect();
            put(&mut arrow_line, lo + 1, &arrow);
            let short = ellipsize(&label, span.saturating_sub(2));
            let start = lo + 1 + (span.saturating_sub(short.chars().count())) / 2;
            put(&mut label_line, start, &short);
        }
        push_line(&mut out, &label_line);
        push_line(&mut out, &arrow_line);
    }
    out
}

/// Writes `text` into `line` from column `at`, growing the line when the text runs past its end.
fn put(line: &mut Vec<char>, at: usize, text: &str) {
    for (i, c) in text.chars().enumerate() {
        let col = at + i;
        if col >= line.len() {
            line.resize(col + 1, ' ');
        }
        if let Some(slot) = line.get_mut(col) {
            *slot = c;
        }
    }
}

fn push_line(out: &mut String, line: &[char]) {
    let text: String = line.iter().collect();
    out.push_str(text.trim_end());
    out.push('\n');
}
