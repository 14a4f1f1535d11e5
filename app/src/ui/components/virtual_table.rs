//! A table that renders only the rows in view (plus a few), so thousands of rows scroll smoothly.
//! Rows have a fixed height; spacer rows stand in for the rest. A table that grows at the top
//! (newest first, as the live view) passes `prepended` and keeps the reader's place.

use leptos::prelude::*;

use crate::domain::results::visible_window;

/// Height of one body row in pixels; the CSS gives `.vrow` the same height.
pub const ROW_HEIGHT: f64 = 28.0;

/// The rows in view of a scrolled container of fixed-height rows: the one virtual scroller of the
/// result tables, the live table and the ladder. Cheap handles.
#[derive(Clone, Copy)]
pub struct VirtualWindow {
    /// The scrolled element.
    pub container: NodeRef<leptos::html::Div>,
    pub scroll_top: RwSignal<f64>,
    pub viewport: RwSignal<f64>,
    /// The rows to render, `start..end`.
    pub window: Memo<(usize, usize)>,
    row_height: f64,
    row_count: Signal<usize>,
}

impl VirtualWindow {
    /// A window over `row_count` rows of `row_height` pixels, `overscan` more on each side.
    pub fn new(row_height: f64, row_count: Signal<usize>, overscan: usize) -> Self {
        let scroll_top = RwSignal::new(0.0_f64);
        let viewport = RwSignal::new(600.0_f64);
        let window = Memo::new(move |_| {
            visible_window(
                scroll_top.get(),
                viewport.get(),
                row_height,
                row_count.get(),
                overscan,
            )
        });
        let container = NodeRef::<leptos::html::Div>::new();
        // The real viewport height once the container is mounted.
        Effect::new(move |_| {
            if let Some(el) = container.get() {
                viewport.set(f64::from(el.client_height()).max(row_height));
            }
        });
        Self {
            container,
            scroll_top,
            viewport,
            window,
            row_height,
            row_count,
        }
    }

    /// Reads the container's scroll position (its `scroll` handler).
    pub fn on_scroll(&self) {
        if let Some(el) = self.container.get_untracked() {
            self.scroll_top.set(f64::from(el.scroll_top()));
            self.viewport.set(f64::from(el.client_height()));
        }
    }

    /// The spacer above the rendered rows, in pixels.
    pub fn above_px(&self) -> f64 {
        self.window.get().0 as f64 * self.row_height
    }

    /// The spacer below the rendered rows, in pixels.
    pub fn below_px(&self) -> f64 {
        self.row_count.get().saturating_sub(self.window.get().1) as f64 * self.row_height
    }

    /// Scrolls row `position` into view (centred) when it is outside the viewport.
    pub fn reveal(&self, position: usize) {
        if let Some(el) = self.container.get_untracked() {
            let top = position as f64 * self.row_height;
            let current = f64::from(el.scroll_top());
            let height = f64::from(el.client_height());
            if top < current || top + self.row_height > current + height - self.row_height {
                el.set_scroll_top((top - height / 2.0).max(0.0) as i32);
            }
        }
    }
}

/// A sortable column header.
#[derive(Clone)]
pub struct Column {
    pub label: &'static str,
    /// The sort key, or `None` for a column that does not sort.
    pub sort_key: Option<&'static str>,
}

/// The virtualized table. `render_row(i)` renders the `<tr>` of row `i`.
#[component]
pub fn VirtualTable<F, V>(
    /// Accessible name of the table.
    caption: &'static str,
    columns: Vec<Column>,
    /// How many rows there are.
    #[prop(into)]
    row_count: Signal<usize>,
    /// The current sort as (key, descending).
    #[prop(into)]
    sort: Signal<Option<(String, bool)>>,
    /// Called with a column's sort key when its header is clicked.
    on_sort: Callback<&'static str>,
    render_row: F,
    /// For a list that grows at the top: the running total of rows inserted above the others.
    /// Then the table does not jump back to the top when it grows: at the top it keeps showing
    /// the newest rows (it follows them); scrolled down, it moves down by the inserted rows so
    /// the rows in view stay in view.
    #[prop(optional, into)]
    prepended: Option<Signal<u64>>,
    /// For rows that do not change in place: an identity of the data (e.g. the address of the
    /// rows' `Arc`). Then rows are keyed by position and scrolling mounts only the rows entering
    /// the window; a new `data_key` renders them all afresh. Without it every scroll step renders
    /// the whole window again (needed when `render_row(i)` changes while the data keeps its size).
    #[prop(optional, into)]
    data_key: Option<Signal<usize>>,
) -> impl IntoView
where
    F: Fn(usize) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let scroller = VirtualWindow::new(ROW_HEIGHT, row_count, 8);
    let VirtualWindow {
        container,
        scroll_top,
        viewport,
        window,
        ..
    } = scroller;
    let on_scroll = move |_| scroller.on_scroll();
    // Back to the top when the data changes size (a new search), unless it grows at the top,
    // where the reader's place is kept (an emptied list still goes back to the top).
    Effect::new(move |_| {
        let n = row_count.get();
        if prepended.is_some() && n > 0 {
            return;
        }
        if let Some(el) = container.get_untracked() {
            el.set_scroll_top(0);
            viewport.set(f64::from(el.client_height()).max(ROW_HEIGHT));
        }
        scroll_top.set(0.0);
    });
    if let Some(prepended) = prepended {
        Effect::new(move |previous: Option<u64>| {
            let total = prepended.get();
            let added = previous.map_or(0, |p| total.saturating_sub(p));
            let top = scroll_top.get_untracked();
            // Within half a row of the top the reader follows the newest rows.
            if added > 0 && top >= ROW_HEIGHT / 2.0 {
                let target = top + added as f64 * ROW_HEIGHT;
                scroll_top.set(target);
                // After the spacers have grown, or the browser would clamp the position.
                request_animation_frame(move || {
                    if let Some(el) = container.get_untracked() {
                        el.set_scroll_top(target as i32);
                    }
                });
            }
            total
        });
    }
    let n_cols = columns.len();
    let headers = columns
        .into_iter()
        .map(|col| {
            let aria_sort = move || match (col.sort_key, sort.get()) {
                (Some(key), Some((current, desc))) if current == key => {
                    if desc {
                        "descending"
                    } else {
                        "ascending"
                    }
                }
                (Some(_), _) => "none",
                (None, _) => "",
            };
            match col.sort_key {
                Some(key) => view! {
                    <th scope="col" aria-sort=aria_sort>
                        <button type="button" class="th-sort" on:click=move |_| on_sort.run(key)>
                            {col.label}
                            <span aria-hidden="true">{move || match aria_sort() {
                                "ascending" => " ▲", "descending" => " ▼", _ => "" }}</span>
                        </button>
                    </th>
                }
                .into_any(),
                None => view! { <th scope="col">{col.label}</th> }.into_any(),
            }
        })
        .collect_view();
    view! {
        <div class="vtable" class:prepending=prepended.is_some() node_ref=container on:scroll=on_scroll tabindex="0">
            <table class="grid" aria-label=caption aria-rowcount=move || row_count.get() + 1>
                <thead><tr>{headers}</tr></thead>
                <tbody>
                    <tr class="spacer" aria-hidden="true">
                        <td colspan=n_cols style=move || format!("height:{}px", scroller.above_px())></td>
                    </tr>
                    {move || match data_key {
                        Some(data_key) => {
                            data_key.track();
                            let render_row = render_row.clone();
                            view! {
                                <For
                                    each=move || { let (start, end) = window.get(); start..end }
                                    key=|i| *i
                                    children=move |i| untrack(|| render_row(i))
                                />
                            }
                            .into_any()
                        }
                        None => {
                            let (start, end) = window.get();
                            (start..end).map(render_row.clone()).collect_view().into_any()
                        }
                    }}
                    <tr class="spacer" aria-hidden="true">
                        <td colspan=n_cols style=move || format!("height:{}px", scroller.below_px())></td>
                    </tr>
                </tbody>
            </table>
        </div>
    }
}
