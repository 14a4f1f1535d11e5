//! Standalone SVG export of a laid-out ladder: host header, lifelines, arrows with arrowheads,
//! labels, times and the Call-ID legend. Long host names are shortened with an ellipsis and kept
//! whole in `<title>`; all text is XML-escaped. Pure string building: no I/O, no clock.

use std::fmt::Write as _;

use jiff::tz::TimeZone;

use super::layout::{LadderView, Row};
use super::message::MessageKind;
use super::time::TimeMode;

/// Line colours by Call-ID colour index (taken modulo the length), readable on white.
pub const PALETTE: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
];

/// Sizes and texts of the SVG export, in SVG user units (px).
#[derive(Clone, Debug, PartialEq)]
pub struct SvgOptions {
    /// Width of one lane.
    pub lane_width: u32,
    /// Height of one row.
    pub row_height: u32,
    /// Height of the host header.
    pub header_height: u32,
    /// Width of the time column on the left.
    pub time_width: u32,
    /// Longest host label (characters) before it is shortened.
    pub max_host_chars: usize,
    /// Longest arrow label (characters) before it is shortened.
    pub max_label_chars: usize,
    /// Which time to print.
    pub time_mode: TimeMode,
    /// Zone of absolute times.
    pub time_zone: TimeZone,
}

impl Default for SvgOptions {
    fn default() -> Self {
        Self {
            lane_width: 200,
            row_height: 34,
            header_height: 52,
            time_width: 150,
            max_host_chars: 24,
            max_label_chars: 28,
            time_mode: TimeMode::Absolute,
            time_zone: TimeZone::UTC,
        }
    }
}

const LEGEND_LINE: u32 = 18;
const SELF_LOOP: u32 = 36;

/// The size (width, height in SVG px) of [`to_svg`]'s document for `view`.
pub fn svg_size(view: &LadderView, options: &SvgOptions) -> (u32, u32) {
    let lanes = u32::try_from(view.lanes.len()).unwrap_or(u32::MAX);
    let legend = u32::try_from(view.legend.len()).unwrap_or(u32::MAX);
    let width = options
        .time_width
        .saturating_add(lanes.max(1).saturating_mul(options.lane_width));
    let height = body_bottom(view, options)
        .saturating_add(12)
        .saturating_add(legend.saturating_mul(LEGEND_LINE));
    (width, height)
}

/// Where the last row ends, px from the top.
fn body_bottom(view: &LadderView, options: &SvgOptions) -> u32 {
    let rows = u32::try_from(view.rows.len()).unwrap_or(u32::MAX);
    options
        .header_height
        .saturating_add(rows.saturating_mul(options.row_height))
}

/// Renders the whole ladder (every row) as one SVG document.
pub fn to_svg(view: &LadderView, options: &SvgOptions) -> String {
    let (width, height) = svg_size(view, options);
    let body_bottom = body_bottom(view, options);
    let center = |lane: usize| -> u64 {
        u64::from(options.time_width)
            + u64::from(options.lane_width) * lane as u64
            + u64::from(options.lane_width / 2)
    };

    let mut out = String::with_capacity(512 + view.rows.len() * 400);
    // Writing into a String cannot fail; the results are ignored below for that reason.
    let _ = write!(
        out,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">
<defs>"#
    );
    for (i, colour) in PALETTE.iter().enumerate() {
        let _ = write!(
            out,
            r#"<marker id="ah{i}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="{colour}"/></marker>"#
        );
    }
    out.push_str("</defs>\n");
    let _ = writeln!(
        out,
        r##"<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>"##
    );

    out.push_str("<g class=\"hosts\">\n");
    for (i, lane) in view.lanes.iter().enumerate() {
        let x = center(i);
        let full = if lane.sublabel.is_empty() {
            lane.label.clone()
        } else {
            format!("{} ({})", lane.label, lane.sublabel)
        };
        let _ = write!(
            out,
            r##"<g class="host"><title>{}</title><text x="{x}" y="20" text-anchor="middle" font-weight="bold">{}</text>"##,
            escape(&full),
            escape(&ellipsize(&lane.label, options.max_host_chars)),
        );
        if !lane.sublabel.is_empty() {
            let _ = write!(
                out,
                r##"<text x="{x}" y="36" text-anchor="middle" fill="#555555">{}</text>"##,
                escape(&ellipsize(&lane.sublabel, options.max_host_chars)),
            );
        }
        let _ = writeln!(
            out,
            r##"<line x1="{x}" y1="{}" x2="{x}" y2="{body_bottom}" stroke="#999999"/></g>"##,
            options.header_height - 6,
        );
    }
    out.push_str("</g>\n<g class=\"rows\">\n");
    for (i, row) in view.rows.iter().enumerate() {
        let y = u64::from(options.header_height)
            + u64::from(options.row_height) * i as u64
            + u64::from(options.row_height) * 3 / 4;
        write_row(
            &mut out,
            row,
            y,
            center(row.from_lane),
            center(row.to_lane),
            options,
        );
    }
    out.push_str("</g>\n<g class=\"legend\">\n");
    for (i, entry) in view.legend.iter().enumerate() {
        let y = u64::from(body_bottom) + 16 + u64::from(LEGEND_LINE) * i as u64;
        let colour = PALETTE
            .get(entry.colour % PALETTE.len())
            .unwrap_or(&"#000000");
        let _ = writeln!(
            out,
            r#"<g><line x1="10" y1="{}" x2="40" y2="{}" stroke="{colour}" stroke-width="3"/><text x="48" y="{y}">{}</text></g>"#,
            y - 4,
            y - 4,
            escape(&entry.call_id),
        );
    }
    out.push_str("</g>\n</svg>\n");
    out
}

fn write_row(out: &mut String, row: &Row, y: u64, from_x: u64, to_x: u64, options: &SvgOptions) {
    let colour_index = row.colour % PALETTE.len();
    let colour = PALETTE.get(colour_index).unwrap_or(&"#000000");
    let dash = if row.kind == MessageKind::Sip {
        ""
    } else {
        r#" stroke-dasharray="4 3""#
    };
    let mut label = row.label.clone();
    if row.has_sdp {
        label.push_str(" (SDP)");
    }
    if row.retransmissions > 0 {
        let _ = write!(label, " ×{}", row.retransmissions + 1);
    }
    let time = row.time_text(options.time_mode, &options.time_zone);
    let _ = write!(
        out,
        r##"<g class="row"><title>{} {} → {} {}</title><text x="6" y="{y}" fill="#555555">{}</text>"##,
        escape(&time),
        escape(&row.src.to_string()),
        escape(&row.dst.to_string()),
        escape(&row.call_id),
        escape(&time),
    );
    let text_y = y.saturating_sub(5);
    if row.is_self_message() {
        let loop_y = y.saturating_sub(u64::from(options.row_height) / 3);
        let _ = write!(
            out,
            r#"<path d="M{from_x},{loop_y} h{SELF_LOOP} V{y} H{}" fill="none" stroke="{colour}"{dash} marker-end="url(#ah{colour_index})"/><text x="{}" y="{loop_y}" fill="{colour}">{}</text>"#,
            from_x + 2,
            from_x + u64::from(SELF_LOOP) + 4,
            escape(&ellipsize(&label, options.max_label_chars)),
        );
    } else {
        let _ = write!(
            out,
            r#"<line x1="{from_x}" y1="{y}" x2="{to_x}" y2="{y}" stroke="{colour}"{dash} marker-end="url(#ah{colour_index})"/><text x="{}" y="{text_y}" text-anchor="middle" fill="{colour}">{}</text>"#,
            (from_x + to_x) / 2,
            escape(&ellipsize(&label, options.max_label_chars)),
        );
    }
    out.push_str("</g>\n");
}

/// Shortens `text` to at most `max` characters by replacing its middle with `…`, so both ends of
/// an IPv6 address or alias stay readable.
pub fn ellipsize(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text.to_owned();
    }
    if max <= 1 {
        return "…".chars().take(max).collect();
    }
    let keep = max - 1;
    let head = keep.div_ceil(2);
    let tail = keep - head;
    let mut out: String = text.chars().take(head).collect();
    out.push('…');
    out.extend(text.chars().skip(count - tail));
    out
}

/// Escapes text for XML content and attribute values; control characters XML 1.0 forbids become
/// U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{7f}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ellipsize_keeps_both_ends() {
        for (text, max, want) in [
            ("10.0.0.1", 24, "10.0.0.1"),
            ("2001:db8:100:0:0:0:0:10", 11, "2001:…:0:10"),
            ("abcdef", 5, "ab…ef"),
            ("abcdef", 1, "…"),
            ("abcdef", 0, ""),
            ("ääääää", 3, "ä…ä"),
        ] {
            assert_eq!(ellipsize(text, max), want, "{text} {max}");
        }
    }

    #[test]
    fn escape_handles_markup_and_controls() {
        assert_eq!(
            escape("<a href=\"x\">&'\u{0}</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;\u{fffd}&lt;/a&gt;"
        );
    }
}
