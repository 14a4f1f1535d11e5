//! The Analyze view's combined ladder: the messages of every shown leg in the call view's ladder,
//! one colour per leg, redrawn when a leg is added or removed. Its lane, time and filter choices
//! are local to the page (the link to the call view carries the legs, not these choices).

use std::sync::Arc;

use jiff::tz::TimeZone;
use leptos::prelude::*;

use crate::domain::analyze_view::ShownAnalysis;
use crate::domain::call_view::CallQuery;
use crate::domain::homer::HomerRow;
use crate::domain::ladder::{layout, AliasTable, LadderMessage, LadderOptions};

use crate::ui::components::ladder::Ladder;

/// The ladder of `shown`'s legs, drawn from `rows` (the candidates' messages).
#[component]
pub fn LegsLadder(
    shown: Memo<Option<Arc<ShownAnalysis>>>,
    rows: Signal<Arc<Vec<HomerRow>>>,
    aliases: Signal<Arc<AliasTable>>,
) -> impl IntoView {
    let ladder_query = RwSignal::new(CallQuery::default());
    let query = Memo::new(move |_| ladder_query.get());
    let set_query = Callback::new(move |q: CallQuery| ladder_query.set(q));
    let messages = Memo::new(move |_| {
        let rows = rows.get();
        shown.with(|s| {
            s.as_ref()
                .map(|s| LadderMessage::from_rows(&s.leg_messages(&rows)))
                .unwrap_or_default()
        })
    });
    let view_model = Memo::new(move |_| {
        let options = ladder_query.with(|q| LadderOptions {
            lane_mode: q.lanes,
            filter: q.filter(),
        });
        Arc::new(messages.with(|m| aliases.with(|a| layout(m, a, &options))))
    });
    let zone = Signal::derive(TimeZone::system);
    view! {
        <section class="analyze-ladder" aria-label="Combined ladder" data-testid="analyze-ladder">
            {move || messages.with(Vec::is_empty).then(|| view! {
                <p class="notice" role="status">"No messages of the shown legs were loaded."</p>
            })}
            <Ladder ladder=view_model query=query set_query=set_query zone=zone/>
        </section>
    }
}
