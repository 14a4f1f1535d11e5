//! The QoS view's charts: one metric over time per stream, drawn with plotters on a `<canvas>`,
//! with the MOS band thresholds as horizontal lines.

use std::sync::Arc;

use leptos::html;
use leptos::prelude::*;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;

use crate::domain::qos::series::series;
use crate::domain::qos::view::{direction, MOS_BAND_LINES};
use crate::domain::qos::{CallQos, Metric};

/// Canvas size in CSS pixels.
const WIDTH: u32 = 760;
const HEIGHT: u32 = 230;

/// What one chart shows.
#[derive(Clone, Copy)]
pub struct ChartSpec {
    pub title: &'static str,
    pub metric: Metric,
    /// Unit of the y axis.
    pub unit: &'static str,
}

/// The charts of the view, in order.
pub const CHARTS: [ChartSpec; 3] = [
    ChartSpec {
        title: "Jitter",
        metric: Metric::JitterMs,
        unit: "ms",
    },
    ChartSpec {
        title: "Loss",
        metric: Metric::LossPct,
        unit: "%",
    },
    ChartSpec {
        title: "MOS (E-model)",
        metric: Metric::MosEModel,
        unit: "MOS",
    },
];

/// One chart, redrawn whenever the analysis changes.
#[component]
pub fn QosChart(spec: ChartSpec, qos: Memo<Arc<CallQos>>) -> impl IntoView {
    let canvas = NodeRef::<html::Canvas>::new();
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let qos = qos.get();
        if let Some(element) = canvas.get() {
            error.set(draw(element, spec, &qos).err());
        }
    });
    let label = format!("{} over time, per stream", spec.title);
    view! {
        <figure class="qos-chart">
            <canvas node_ref=canvas width=WIDTH height=HEIGHT role="img" aria-label=label
                data-testid=format!("qos-chart-{}", spec.title)></canvas>
            {move || error.get().map(|e| view! {
                <div class="banner error" role="alert">{format!("Cannot draw the {} chart: {e}", spec.title)}</div>
            })}
        </figure>
    }
}

fn draw(element: web_sys::HtmlCanvasElement, spec: ChartSpec, qos: &CallQos) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
    let start_us = qos
        .streams
        .iter()
        .filter_map(|s| s.points.first().map(|p| p.ts_us))
        .min()
        .unwrap_or(0);
    let lines: Vec<(String, Vec<(f64, f64)>)> = qos
        .streams
        .iter()
        .map(|stream| {
            let points = series(&stream.points, spec.metric)
                .into_iter()
                .map(|(ts, v)| (seconds_between(start_us, ts), v))
                .collect();
            (direction(stream), points)
        })
        .collect();
    let all = lines.iter().flat_map(|(_, p)| p.iter().copied());
    let (x_max, y_max) = all.fold((0.0_f64, 0.0_f64), |(x, y), (px, py)| {
        (x.max(px), y.max(py))
    });
    let x_range = 0.0..x_max.max(1.0);
    let y_range = match spec.metric {
        Metric::MosEModel | Metric::MosSimple => 1.0..4.5,
        _ => 0.0..(y_max * 1.15).max(1.0),
    };
    let backend =
        CanvasBackend::with_canvas_object(element).ok_or("the canvas has no 2D context")?;
    let root = backend.into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{} ({})", spec.title, spec.unit),
            ("sans-serif", 14),
        )
        .margin(8)
        .x_label_area_size(30)
        .y_label_area_size(44)
        .build_cartesian_2d(x_range.clone(), y_range)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("seconds")
        .label_style(("sans-serif", 11))
        .draw()
        .map_err(err)?;
    if matches!(spec.metric, Metric::MosEModel | Metric::MosSimple) {
        let grey = RGBColor(140, 140, 140);
        for (mos, band) in MOS_BAND_LINES {
            chart
                .draw_series(LineSeries::new(
                    [(x_range.start, mos), (x_range.end, mos)],
                    grey.stroke_width(1),
                ))
                .map_err(err)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    band.label(),
                    (x_range.start, mos),
                    ("sans-serif", 10).into_font().color(&grey),
                )))
                .map_err(err)?;
        }
    }
    for (index, (name, points)) in lines.into_iter().enumerate() {
        let color = Palette99::pick(index).to_rgba();
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(err)?
            .label(name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 14, y)], color.stroke_width(2)));
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 2, color.filled())))
            .map_err(err)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 11))
        .draw()
        .map_err(err)?;
    root.present().map_err(err)
}

/// Seconds from `start_us` to `ts_us`.
fn seconds_between(start_us: i64, ts_us: i64) -> f64 {
    // Precision loss only beyond 2^53 µs (285 years), far beyond a call.
    #[allow(clippy::cast_precision_loss)]
    let delta = ts_us.saturating_sub(start_us) as f64;
    delta / 1_000_000.0
}
