//! The filter form of the search and calls views: one input per [`SearchForm`] field, refilled
//! from the URL and read back into a form on submit. The page owns the URL and the run.

use jiff::tz::TimeZone;
use leptos::prelude::*;

use crate::domain::query::ResultView;
use crate::domain::search_form::{Profile, SearchForm};
use crate::domain::sip::KNOWN_METHOD_NAMES as METHODS;
use crate::ui::api::recorder::Recorder;

use crate::ui::components::form::text_input;
use crate::ui::components::zone::zone_name;

/// The form's inputs, one signal each (text as typed, not yet validated).
#[derive(Clone, Copy)]
pub struct FilterFields {
    number: RwSignal<String>,
    from_user: RwSignal<String>,
    to_user: RwSignal<String>,
    user_agent: RwSignal<String>,
    call_id: RwSignal<String>,
    query: RwSignal<String>,
    since: RwSignal<String>,
    until: RwSignal<String>,
    at: RwSignal<String>,
    tz: RwSignal<String>,
    methods: RwSignal<Vec<String>>,
    limit: RwSignal<String>,
    profile: RwSignal<Profile>,
}

impl FilterFields {
    /// Empty inputs.
    pub fn new() -> Self {
        Self {
            number: RwSignal::new(String::new()),
            from_user: RwSignal::new(String::new()),
            to_user: RwSignal::new(String::new()),
            user_agent: RwSignal::new(String::new()),
            call_id: RwSignal::new(String::new()),
            query: RwSignal::new(String::new()),
            since: RwSignal::new(String::new()),
            until: RwSignal::new(String::new()),
            at: RwSignal::new(String::new()),
            tz: RwSignal::new(String::new()),
            methods: RwSignal::new(Vec::new()),
            limit: RwSignal::new(String::new()),
            profile: RwSignal::new(Profile::default()),
        }
    }

    /// Shows `form` in the inputs (after a URL change: back/forward, a pasted link).
    pub fn fill(self, form: SearchForm) {
        self.number.set(form.number);
        self.from_user.set(form.from_user);
        self.to_user.set(form.to_user);
        self.user_agent.set(form.user_agent);
        self.call_id.set(form.call_id);
        self.query.set(form.query);
        self.since.set(form.since);
        self.until.set(form.until);
        self.at.set(form.at);
        self.tz.set(form.tz);
        self.methods.set(form.methods);
        self.limit
            .set(form.limit.map(|l| l.to_string()).unwrap_or_default());
        self.profile.set(form.profile);
    }

    /// `base` with the inputs' values (trimmed; an unreadable limit is the default).
    pub fn read_into(self, mut base: SearchForm) -> SearchForm {
        let text = |s: RwSignal<String>| s.get_untracked().trim().to_string();
        base.number = text(self.number);
        base.from_user = text(self.from_user);
        base.to_user = text(self.to_user);
        base.user_agent = text(self.user_agent);
        base.call_id = text(self.call_id);
        base.query = text(self.query);
        base.since = text(self.since);
        base.until = text(self.until);
        base.at = text(self.at);
        base.tz = text(self.tz);
        base.methods = self.methods.get_untracked();
        base.limit = text(self.limit).parse().ok();
        base.profile = self.profile.get_untracked();
        base
    }
}

/// The filter form with its Search button, time zone note, debug toggle and help.
#[component]
pub fn SearchFilters(
    fields: FilterFields,
    view: ResultView,
    zone: Signal<TimeZone>,
    on_submit: Callback<()>,
) -> impl IntoView {
    let debug = expect_context::<Recorder>();
    let f = fields;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        on_submit.run(());
    };
    view! {
        <form class="search-form panel" on:submit=submit aria-label="Search filters">
            <div class="search-grid">
                {text_input("Number", "number", f.number, "+4922112345")}
                {text_input("From user", "from_user", f.from_user, "alice or 49221%")}
                {text_input("To user", "to_user", f.to_user, "")}
                {text_input("User agent", "user_agent", f.user_agent, "")}
                {text_input("Call-ID", "call_id", f.call_id, "")}
                <label class="field wide">
                    <span>"Query"</span>
                    <input name="query" class="mono" placeholder="from_user = '4922%' AND status = '486'"
                        prop:value=f.query on:input=move |ev| f.query.set(event_target_value(&ev)) />
                </label>
                {text_input("Since", "since", f.since, "24h (default), 30m, 2026-02-04 17:13")}
                {text_input("Until", "until", f.until, "now")}
                {text_input("At", "at", f.at, "2026-02-04 17:13 (±5 min)")}
                <label class="field">
                    <span>"Time zone"</span>
                    <input name="tz" placeholder=move || zone_name(&TimeZone::system())
                        prop:value=f.tz on:input=move |ev| f.tz.set(event_target_value(&ev)) />
                </label>
                <label class="field">
                    <span>"Method"</span>
                    <select name="method" multiple=true size="3"
                        on:change=move |ev| f.methods.set(selected_options(&ev))>
                        {METHODS.iter().map(|m| view! {
                            <option value=*m selected=move || f.methods.with(|ms| ms.iter().any(|x| x == m))>{*m}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label class="field">
                    <span>"Limit"</span>
                    <input name="limit" type="number" min="1"
                        placeholder=match view { ResultView::Messages => "200", ResultView::Calls => "100" }
                        prop:value=f.limit on:input=move |ev| f.limit.set(event_target_value(&ev)) />
                </label>
                <label class="field">
                    <span>"Profile"</span>
                    <select name="profile" on:change=move |ev| {
                        f.profile.set(Profile::parse(&event_target_value(&ev)).unwrap_or_default())
                    }>
                        {Profile::SIP.into_iter().map(|p| view! {
                            <option value=p.as_str() selected=move || f.profile.get() == p>{p.as_str()}</option>
                        }).collect_view()}
                    </select>
                </label>
            </div>
            <div class="search-actions">
                <button class="primary" type="submit">"Search"</button>
                <span class="notice">{move || format!("Times in {}", zone_name(&zone.get()))}</span>
                <label class="debug-toggle">
                    <input type="checkbox" prop:checked=move || debug.enabled.get()
                        on:change=move |ev| debug.set_enabled(event_target_checked(&ev)) />
                    "Show HOMER requests"
                </label>
                <details class="help">
                    <summary>"How search works"</summary>
                    <p>"Filters match messages; results carry every message of the matched Call-IDs (session-based, as HOMER does). Number matches the From or To user, with and without a leading +. Filters are combined with AND; alternatives are sent as separate HOMER requests and merged here. In Query, use field = 'value' or !=, % as a wildcard, AND, OR and parentheses. Fields: from_user, to_user, ruri_user, user_agent (ua), cseq, method, status, call_id (sid), src_ip (source_ip), dst_ip (destination_ip), src_port, dst_port (numbers: = only), x_cid (X-CID, else the Call-ID), and where the backend maps them (the embedded store does) ruri_domain, from_domain, to_domain."</p>
                </details>
            </div>
        </form>
    }
}

fn selected_options(ev: &leptos::ev::Event) -> Vec<String> {
    use wasm_bindgen::JsCast;
    let Some(select) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
    else {
        return Vec::new();
    };
    let options = select.selected_options();
    (0..options.length())
        .filter_map(|i| options.item(i))
        .filter_map(|e| e.get_attribute("value"))
        .collect()
}
