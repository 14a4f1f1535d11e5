//! `/backends`: dex's `endpoints` and `discover`. Lists the HOMER 7 instances and the embedded
//! store the server knows, and runs the step-by-step check (DNS, TCP, login, mapping) of one of
//! them. The checked backend is in the URL (`?check=name`), so a pasted link re-runs the check.

use crate::ui::components::retry_banner::RetryBanner;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::domain::api::{BackendKind, CheckReport};
use crate::domain::hosts_view::CHECK_KEY;
use crate::domain::percent::percent_encode;
use crate::ui::api::{self, ApiError};
use crate::ui::context::SessionCtx;

fn kind_label(kind: BackendKind) -> &'static str {
    match kind {
        BackendKind::Homer7 => "HOMER 7",
        BackendKind::Embedded => "embedded store",
    }
}

async fn run_check(name: String) -> Result<CheckReport, ApiError> {
    api::backend_check(&name).await
}

/// The backends view.
#[component]
pub fn BackendsPage() -> impl IntoView {
    let query = use_query_map();
    let navigate = use_navigate();
    // The check logs in to the backend with its service account, so the server lets only admins run
    // it; viewers see the list without the button (the shell sets the session before any page).
    let may_check = expect_context::<SessionCtx>()
        .me
        .with_untracked(|me| me.as_ref().is_some_and(|me| me.is_admin()));
    let checked = Memo::new(move |_| query.with(|q| q.get(CHECK_KEY).unwrap_or_default()));
    let backends = LocalResource::new(api::backends);
    let report = LocalResource::new(move || {
        let name = checked.get();
        async move {
            if name.is_empty() || !may_check {
                None
            } else {
                Some(run_check(name).await)
            }
        }
    });
    let check = move |name: String| {
        let url = format!("/backends?{CHECK_KEY}={}", percent_encode(&name));
        if checked.get_untracked() == name {
            report.refetch();
        } else {
            navigate(
                &url,
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    };

    view! {
        <h1>"Backends"</h1>
        <p class="help">
            "The data sources this server searches: HOMER 7 instances (their credentials stay on the server) "
            "and the embedded HEP store. “Check” runs each step of a connection and stops at the first "
            "failure, like dex's discover: DNS, TCP, login and mapping for a HOMER 7; the writer's state "
            "and the mapping for the embedded store. Only admins may run it."
        </p>
        {move || match backends.get() {
            None => view! { <p class="notice">"Loading…"</p> }.into_any(),
            Some(Err(e)) => view! {
                <RetryBanner message=format!("Cannot list the backends: {e}")
                    on_retry=Callback::new(move |()| backends.refetch()) />
            }.into_any(),
            Some(Ok(list)) if list.is_empty() => view! {
                <div class="banner warn" role="status">
                    "No backend is configured and the embedded store is off: add a [[homer]] section or enable [store]."
                </div>
            }.into_any(),
            Some(Ok(list)) => {
                let check = check.clone();
                view! {
                    <table class="grid" aria-label="Backends" data-testid="backends">
                        <thead><tr>
                            <th>"Name"</th><th>"Kind"</th><th>"URL"</th><th>"Default"</th>
                            <th>"Last status"</th><th></th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().map(|b| {
                                let check = check.clone();
                                let name = b.name.clone();
                                let status_class = if b.status == "ok" { "ok" } else if b.status == "unknown" { "muted" } else { "bad" };
                                view! {
                                    <tr>
                                        <td><strong>{b.name.clone()}</strong></td>
                                        <td>{kind_label(b.kind)}</td>
                                        <td class="mono">{b.url.clone().unwrap_or_else(|| "—".into())}</td>
                                        <td>{if b.default { "yes" } else { "" }}</td>
                                        <td class=status_class>{b.status.clone()}</td>
                                        <td>
                                            {if may_check {
                                                view! {
                                                    <button type="button" aria-label=format!("Check {}", b.name)
                                                        on:click=move |_| check(name.clone())>"Check"</button>
                                                }.into_any()
                                            } else {
                                                view! { <span class="muted">"admins only"</span> }.into_any()
                                            }}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }
        }}
        {move || (!checked.get().is_empty() && !may_check).then(|| view! {
            <div class="banner warn" role="status" data-testid="check-report">
                "Only admins may run a backend check."
            </div>
        })}
        {move || (!checked.get().is_empty() && may_check).then(|| view! {
            <section class="panel check-report" aria-label="Check report" data-testid="check-report">
                {move || match report.get().flatten() {
                    None => view! { <p class="notice">{format!("Checking {}…", checked.get())}</p> }.into_any(),
                    Some(Err(e)) => view! {
                        <div class="banner error" role="alert">
                            <span>{format!("The check of {} could not run: {e}", checked.get())}</span>
                            <button type="button" on:click=move |_| report.refetch()>"Retry"</button>
                        </div>
                    }.into_any(),
                    Some(Ok(r)) => view! { <CheckReportView report=r/> }.into_any(),
                }}
            </section>
        })}
    }
}

#[component]
fn CheckReportView(report: CheckReport) -> impl IntoView {
    let verdict = if report.ok {
        format!(
            "{} is reachable: every step passed in {:.0} ms.",
            report.backend, report.total_ms
        )
    } else {
        let failed = report
            .steps
            .iter()
            .find(|s| !s.ok)
            .map(|s| s.step.clone())
            .unwrap_or_else(|| "no step ran".into());
        format!("{} failed at the {failed} step.", report.backend)
    };
    view! {
        <h2>{format!("Check of {}", report.backend)}</h2>
        <div class=if report.ok { "banner ok" } else { "banner error" } role="status">{verdict}</div>
        <table class="grid" aria-label="Check steps">
            <thead><tr><th>"Step"</th><th>"Result"</th><th>"Time"</th><th>"Detail"</th></tr></thead>
            <tbody>
                {report.steps.into_iter().map(|s| view! {
                    <tr>
                        <td>{s.step}</td>
                        <td class=if s.ok { "ok" } else { "bad" }>{if s.ok { "ok" } else { "failed" }}</td>
                        <td>{format!("{:.1} ms", s.latency_ms)}</td>
                        <td class="wrap">{s.detail}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
