//! A table that renders only the rows in view (plus a few), so thousands of rows scroll smoothly.
//! Rows have a fixed height; spacer rows stand in for the rest. A table that grows at the top
//! (newest first, as the live view) passes `prepended` and keeps the reader's place.

use leptos::prelude::*;

use crate::domain::results::visible_window;

/// Height of one body row in pixels; the CSS gives `.vrow` the same height.
pub const ROW_HEIGHT: f64 = 28.0;

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
    let scroll_top = RwSignal::new(0.0_f64);
    let viewport = RwSignal::new(600.0_f64);
    let container = NodeRef::<leptos::html::Div>::new();
    let window = Memo::new(move |_| {
        visible_window(
            scroll_top.get(),
            viewport.get(),
            ROW_HEIGHT,
            row_count.get(),
            8,
        )
    });
    let on_scroll = move |_| {
        if let Some(el) = container.get_untracked() {
            scroll_top.set(f64::from(el.scroll_top()));
            viewport.set(f64::from(el.client_height()));
        }
    };
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
                        <td colspan=n_cols style=move || format!("height:{}px", window.get().0 as f64 * ROW_HEIGHT)></td>
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
                        <td colspan=n_cols style=move || {
                            let (_, end) = window.get();
                            format!("height:{}px", row_count.get().saturating_sub(end) as f64 * ROW_HEIGHT)
                        }></td>
                    </tr>
                </tbody>
            </table>
        </div>
    }
}
