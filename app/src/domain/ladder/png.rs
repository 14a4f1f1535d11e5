//! Whether a ladder's SVG export can be drawn as one PNG. Browsers refuse canvases beyond about
//! 32,767 px a side or 268 million pixels and then produce an empty or broken file, so a ladder too
//! tall is refused up front with a message saying how many rows would fit.
//!
//! Pure: no I/O, no browser.

use thiserror::Error;

use super::layout::LadderView;
use super::svg::{svg_size, SvgOptions};

/// The longest side of the PNG, px (under Chromium's and Firefox's canvas limits).
pub const MAX_PNG_SIDE: u32 = 32_000;
/// The most pixels of the PNG (well under the browsers' area limits, so memory stays sane).
pub const MAX_PNG_PIXELS: u64 = 120_000_000;

/// Why a ladder cannot be a PNG.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum PngError {
    /// Too many rows for the height limit.
    #[error(
        "the ladder is too tall for a PNG ({rows} rows, {height} px; at most {max_rows} rows fit): hide rows with the filters, or download the SVG"
    )]
    TooTall {
        /// Rows shown.
        rows: usize,
        /// The image height it would need, px.
        height: u32,
        /// Rows that fit.
        max_rows: u32,
    },
    /// Too many columns for the width or area limit.
    #[error(
        "the ladder is too large for a PNG ({width} × {height} px): show fewer hosts or rows, or download the SVG"
    )]
    TooLarge {
        /// Width, px.
        width: u32,
        /// Height, px.
        height: u32,
    },
}

/// The PNG size (width, height in px) of `view` drawn with `options`.
///
/// # Errors
/// [`PngError`] when the image would exceed [`MAX_PNG_SIDE`] or [`MAX_PNG_PIXELS`].
pub fn png_size(view: &LadderView, options: &SvgOptions) -> Result<(u32, u32), PngError> {
    let (width, height) = svg_size(view, options);
    if height > MAX_PNG_SIDE {
        let spare = height.saturating_sub(MAX_PNG_SIDE);
        let rows = u32::try_from(view.rows.len()).unwrap_or(u32::MAX);
        let cut = spare.div_ceil(options.row_height.max(1));
        return Err(PngError::TooTall {
            rows: view.rows.len(),
            height,
            max_rows: rows.saturating_sub(cut),
        });
    }
    if width > MAX_PNG_SIDE || u64::from(width) * u64::from(height) > MAX_PNG_PIXELS {
        return Err(PngError::TooLarge { width, height });
    }
    Ok((width, height))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixture::{self, CallOptions};
    use crate::domain::fixture_rows::packet_rows;
    use crate::domain::ladder::{layout, AliasTable, LadderMessage, LadderOptions, Lane};

    /// A ladder of `lanes` columns and `rows` copies of a real row.
    fn ladder(lanes: usize, rows: usize) -> LadderView {
        let packets = fixture::call(3, 1_700_000_000_000_000, &CallOptions::default());
        let messages = LadderMessage::from_rows(&packet_rows(&packets));
        let mut view = layout(&messages, &AliasTable::default(), &LadderOptions::default());
        let row = view.rows.first().cloned().unwrap();
        view.rows = vec![row; rows];
        view.lanes = (0..lanes)
            .map(|i| Lane {
                key: format!("10.0.0.{i}:5060"),
                label: format!("10.0.0.{i}"),
                sublabel: String::new(),
            })
            .collect();
        view
    }

    #[test]
    fn png_size_matches_the_svg() {
        let options = SvgOptions::default();
        let view = ladder(3, 10);
        assert_eq!(png_size(&view, &options), Ok(svg_size(&view, &options)));
    }

    #[test]
    fn png_size_refuses_a_tall_ladder_saying_how_many_rows_fit() {
        let options = SvgOptions::default();
        let err = png_size(&ladder(3, 50_000), &options).unwrap_err();
        let PngError::TooTall { rows, max_rows, .. } = err.clone() else {
            panic!("{err:?}");
        };
        assert_eq!(rows, 50_000);
        let fitting = ladder(3, max_rows as usize);
        assert!(png_size(&fitting, &options).is_ok());
        assert!(png_size(&ladder(3, max_rows as usize + 1), &options).is_err());
        assert!(err.to_string().contains("download the SVG"), "{err}");
    }

    #[test]
    fn png_size_refuses_too_many_pixels() {
        let options = SvgOptions::default();
        let err = png_size(&ladder(160, 10), &options).unwrap_err();
        assert!(matches!(err, PngError::TooLarge { .. }), "{err:?}");
    }
}
