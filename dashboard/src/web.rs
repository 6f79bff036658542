//! The dashboard in the browser: sign-in, the report list, filters, the chart (Apache
//! ECharts, loaded by `index.html`), the table with its suppression legend, CSV download and
//! a print view. Every figure comes from the server's reports API, where disclosure control
//! is applied; nothing here can switch it off.

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use baraza_browser::fetch::{self, Reply};
use baraza_schema::api::{LoginResponse, Report, ReportList, Role, Settlements};

use baraza_schema::disclosure::Reliability;

use crate::report::{self, Cell, Meta};

const TOKEN_KEY: &str = "baraza-dashboard-token";

#[wasm_bindgen(inline_js = "export function draw(el, json) {
  const chart = echarts.getInstanceByDom(el) || echarts.init(el, null, { renderer: 'svg' });
  chart.setOption(JSON.parse(json), true);
}")]
extern "C" {
    /// Draws (or redraws) an ECharts chart with the given option object.
    fn draw(el: &web_sys::HtmlElement, options: &str);
}

/// The entry point, called by `index.html` once the module is loaded.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

/// Sends one request and reads the reply; the error is a sentence for the page.
async fn send(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
) -> Result<Reply, String> {
    fetch::send(method, path, token, body.as_deref())
        .await
        .map_err(|e| format!("the server cannot be reached ({})", e.0))
}

fn session_storage() -> Option<web_sys::Storage> {
    window().session_storage().ok().flatten()
}

#[component]
fn App() -> impl IntoView {
    let token = RwSignal::new(session_storage().and_then(|s| s.get_item(TOKEN_KEY).ok().flatten()));
    let sign_out = move || {
        if let Some(s) = session_storage() {
            let _ = s.remove_item(TOKEN_KEY);
        }
        token.set(None);
    };
    let changing = RwSignal::new(false);
    view! {
        <header class="top">
            <h1>"Baraza · needs and concerns"</h1>
            {move || token.get().map(|_| view! {
                <nav class="actions">
                    <button id="print" on:click=move |_| { let _ = window().print(); }>"Print"</button>
                    <button id="change-password" on:click=move |_| changing.update(|c| *c = !*c)>"Change password"</button>
                    <button id="sign-out" on:click=move |_| sign_out()>"Sign out"</button>
                </nav>
            })}
        </header>
        {move || match (token.get(), changing.get()) {
            (None, _) => view! { <SignIn token/> }.into_any(),
            (Some(t), true) => view! {
                <ChangePassword token=t current=None on_done=move |_| changing.set(false)/>
            }.into_any(),
            (Some(t), false) => view! { <Reports token=t on_expired=sign_out/> }.into_any(),
        }}
    }
}

/// A user chooses a new password (`PUT /auth/password`), typed twice. `current` is given when
/// the user has just typed it to sign in (a password an admin reset); else it is asked for.
#[component]
fn ChangePassword(
    token: String,
    current: Option<String>,
    on_done: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let ask_current = current.is_none();
    let current = RwSignal::new(current.unwrap_or_default());
    let new = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let token = StoredValue::new(token);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if new.get_untracked() != again.get_untracked() {
            error.set(Some(
                "The two new passwords differ; type the same one twice.".into(),
            ));
            return;
        }
        let body = serde_json::json!({
            "current_password": current.get_untracked(),
            "new_password": new.get_untracked(),
        });
        let t = token.get_value();
        leptos::task::spawn_local(async move {
            match send(
                "PUT",
                "/api/v1/auth/password",
                Some(&t),
                Some(body.to_string()),
            )
            .await
            {
                Ok(r) if r.status == 204 => on_done(t),
                Ok(r) => error.set(Some(r.message())),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <form class="sign-in" on:submit=submit>
            <h2>"Choose a new password"</h2>
            <p>"At least 8 characters. Your other sessions end."</p>
            {ask_current.then(|| view! {
                <label>"Current password"<input id="current-password" type="password" autocomplete="current-password"
                    on:input=move |ev| current.set(event_target_value(&ev))/></label>
            })}
            <label>"New password"<input id="new-password" type="password" autocomplete="new-password"
                on:input=move |ev| new.set(event_target_value(&ev))/></label>
            <label>"New password again"<input id="new-password-again" type="password" autocomplete="new-password"
                on:input=move |ev| again.set(event_target_value(&ev))/></label>
            <button id="save-password" type="submit">"Save the new password"</button>
            <p class="error" role="alert">{move || error.get()}</p>
        </form>
    }
}

#[component]
fn SignIn(token: RwSignal<Option<String>>) -> impl IntoView {
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    // Signed in with a password an admin reset: a new one comes first.
    let must_change = RwSignal::new(None::<String>);
    let signed_in = move |t: String| {
        if let Some(s) = session_storage() {
            let _ = s.set_item(TOKEN_KEY, &t);
        }
        token.set(Some(t));
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = serde_json::json!({"username": username.get(), "password": password.get()});
        leptos::task::spawn_local(async move {
            match send("POST", "/api/v1/auth/login", None, Some(body.to_string())).await {
                Ok(r) if r.status == 200 => match r.json::<LoginResponse>() {
                    Ok(login) if login.role == Role::Enumerator => error.set(Some(
                        "Enumerator accounts cannot read reports; sign in as a planner, supervisor or admin."
                            .into(),
                    )),
                    Ok(login) if login.must_change_password => must_change.set(Some(login.token)),
                    Ok(login) => signed_in(login.token),
                    Err(e) => error.set(Some(format!("unreadable reply: {e}"))),
                },
                Ok(r) => error.set(Some(r.message())),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        {move || match must_change.get() {
            Some(t) => view! {
                <ChangePassword token=t current=Some(password.get_untracked()) on_done=signed_in/>
            }.into_any(),
            None => view! {
                <form class="sign-in" on:submit=submit>
                    <h2>"Sign in"</h2>
                    <p>"Reports are for planners, supervisors and administrators."</p>
                    <label>"Username"<input id="username" autocomplete="username"
                        on:input=move |ev| username.set(event_target_value(&ev))/></label>
                    <label>"Password"<input id="password" type="password" autocomplete="current-password"
                        on:input=move |ev| password.set(event_target_value(&ev))/></label>
                    <button id="sign-in" type="submit">"Sign in"</button>
                    <p class="error" id="sign-in-error">{move || error.get()}</p>
                </form>
            }.into_any(),
        }}
    }
}

/// The current filters.
#[derive(Clone, Default)]
struct Filters {
    by: String,
    settlement: String,
    settlement_type: String,
    from: String,
    to: String,
}

/// The query string of the current filters.
fn query(f: &Filters) -> String {
    let mut q = format!("?by={}", f.by);
    for (k, v) in [
        ("settlement", &f.settlement),
        ("settlement_type", &f.settlement_type),
        ("from", &f.from),
        ("to", &f.to),
    ] {
        if !v.is_empty() {
            q.push_str(&format!("&{k}={}", js_sys::encode_uri_component(v)));
        }
    }
    q
}

/// The reports screen: list, filters, chart, table, legend, CSV. Long because a Leptos
/// component is its signals and one `view!` tree; the figures' logic is in `report.rs`.
#[component]
fn Reports(token: String, on_expired: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let token = StoredValue::new(token);
    let reports = RwSignal::new(Vec::<Meta>::new());
    let settlements = RwSignal::new(Vec::<(String, String, String)>::new());
    let selected = RwSignal::new(None::<Meta>);
    let by = RwSignal::new("all".to_owned());
    let settlement = RwSignal::new(String::new());
    let settlement_type = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let filters = move || Filters {
        by: by.get(),
        settlement: settlement.get(),
        settlement_type: settlement_type.get(),
        from: from.get(),
        to: to.get(),
    };
    let cells = RwSignal::new(Vec::<Cell>::new());
    let service = RwSignal::new("water".to_owned());
    let error = RwSignal::new(None::<String>);
    let shown_for = RwSignal::new(None::<String>);
    let loading = RwSignal::new(false);
    let chart_ref = NodeRef::<leptos::html::Div>::new();

    leptos::task::spawn_local(async move {
        let t = token.get_value();
        match send("GET", "/api/v1/reports", Some(&t), None).await {
            Ok(r) if r.status == 200 => {
                let list: Vec<Meta> = r
                    .json::<ReportList>()
                    .map(|l| l.reports)
                    .unwrap_or_default();
                selected.set(list.first().cloned());
                reports.set(list);
            }
            Ok(r) if r.status == 401 => on_expired(),
            Ok(r) => error.set(Some(r.message())),
            Err(e) => error.set(Some(e)),
        }
        if let Ok(r) = send("GET", "/api/v1/settlements", Some(&t), None).await
            && let Ok(list) = r.json::<Settlements>()
        {
            let list = list
                .settlements
                .into_iter()
                .map(|s| (s.code, s.name, s.settlement_type))
                .collect();
            settlements.set(list);
        }
    });

    // Fetch the cells whenever the report or a filter changes.
    Effect::new(move |_| {
        let Some(meta) = selected.get() else { return };
        let q = query(&filters());
        let t = token.get_value();
        loading.set(true);
        leptos::task::spawn_local(async move {
            let path = format!("/api/v1/reports/{}{q}", meta.id);
            match send("GET", &path, Some(&t), None).await {
                Ok(r) if r.status == 200 => match r.json::<Report>() {
                    Ok(report) => {
                        shown_for.set(report.shown_for);
                        error.set(None);
                        cells.set(report.cells);
                    }
                    Err(e) => error.set(Some(format!("unreadable reply: {e}"))),
                },
                Ok(r) if r.status == 401 => on_expired(),
                Ok(r) => error.set(Some(r.message())),
                Err(e) => error.set(Some(e)),
            }
            loading.set(false);
        });
    });

    // Redraw the chart when the cells change.
    Effect::new(move |_| {
        let list = cells.get();
        let kind = selected.with(|m| m.as_ref().map(|m| m.chart.clone()).unwrap_or_default());
        if let Some(el) = chart_ref.get() {
            draw(
                &el,
                &report::chart(&kind, &list, &service.get()).to_string(),
            );
        }
    });

    let download = move |_| {
        let Some(meta) = selected.get_untracked() else {
            return;
        };
        let q = query(&untrack(filters));
        let t = token.get_value();
        leptos::task::spawn_local(async move {
            let path = format!("/api/v1/reports/{}.csv{q}", meta.id);
            match fetch::fetch("GET", &path, Some(&t), None).await {
                Ok(r) if r.status() == 200 => {
                    if let Err(e) =
                        fetch::save(&r, &format!("{}-{}.csv", meta.id, by.get_untracked())).await
                    {
                        error.set(Some(e));
                    }
                }
                Ok(r) => match Reply::read(&r).await {
                    Ok(reply) => error.set(Some(reply.message())),
                    Err(e) => error.set(Some(format!("the server cannot be reached ({})", e.0))),
                },
                Err(e) => error.set(Some(format!("the server cannot be reached ({})", e.0))),
            }
        });
    };

    let report_list = move || {
        reports
            .get()
            .into_iter()
            .map(|m| {
                let id = m.id.clone();
                let current = {
                    let id = id.clone();
                    move || selected.with(|s| s.as_ref().map(|s| s.id == id).unwrap_or(false))
                };
                let pick = m.clone();
                view! {
                    <li><button class="report-link" class:current=current data-report=id.clone()
                        on:click=move |_| {
                            if !pick.by.contains(&by.get_untracked()) {
                                by.set(pick.by.first().cloned().unwrap_or_default());
                            }
                            selected.set(Some(pick.clone()));
                        }>
                        <b>{id.clone()}</b>" "{m.title.clone()}
                    </button></li>
                }
            })
            .collect_view()
    };

    let by_options = move || {
        selected
            .get()
            .map(|m| m.by)
            .unwrap_or_default()
            .into_iter()
            .map(|b| {
                let label = report::by_label(&b).to_owned();
                view! { <option value=b.clone() selected=move || by.get() == b>{label}</option> }
            })
            .collect_view()
    };
    let settlement_options = move || {
        settlements
            .get()
            .into_iter()
            .map(|(code, name, kind)| {
                let text = format!("{code} · {name} (type {kind})");
                view! { <option value=code.clone()>{text}</option> }
            })
            .collect_view()
    };
    let type_options = move || {
        let mut kinds: Vec<String> = settlements.get().into_iter().map(|s| s.2).collect();
        kinds.sort();
        kinds.dedup();
        kinds
            .into_iter()
            .map(|k| view! { <option value=k.clone()>{format!("Type {k}")}</option> })
            .collect_view()
    };

    let table = move || {
        let id = selected.with(|m| m.as_ref().map(|m| m.id.clone()).unwrap_or_default());
        let heads = report::columns(&id);
        let rows = cells
            .get()
            .into_iter()
            .map(|c| {
                let figures = report::row(&id, &c)
                    .into_iter()
                    .map(|f| view! { <td class="num">{f}</td> })
                    .collect_view();
                view! {
                    <tr class:suppressed=c.suppressed class:caution=c.reliability == Reliability::Caution>
                        <td>{report::words(&c.level)}</td>
                        <td>{report::words(&c.item)}</td>
                        {figures}
                        <td class="num">{c.base()}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table id="report-table">
                <thead><tr>
                    <th>"Group"</th><th>"Item"</th>
                    {heads.iter().map(|h| view! { <th class="num">{*h}</th> }).collect_view()}
                    <th class="num">"Base (n)"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
    };

    view! {
        <div class="layout">
            <nav class="reports"><h2>"Reports"</h2><ul>{report_list}</ul></nav>
            <main>
                <h2 id="report-title">{move || selected.get().map(|m| format!("{} · {}", m.id, m.title))}</h2>
                <div class="filters">
                    <label>"Disaggregation"
                        <select id="filter-by" on:change=move |ev| by.set(event_target_value(&ev))>{by_options}</select>
                    </label>
                    <label>"Settlement type"
                        <select id="filter-type" on:change=move |ev| settlement_type.set(event_target_value(&ev))>
                            <option value="">"All types"</option>{type_options}
                        </select>
                    </label>
                    <label>"Settlement"
                        <select id="filter-settlement" on:change=move |ev| settlement.set(event_target_value(&ev))>
                            <option value="">"All settlements"</option>{settlement_options}
                        </select>
                    </label>
                    {move || (selected.with(|m| m.as_ref().map(|m| m.chart == "stacked")) == Some(true)).then(|| {
                        let options = report::services(&cells.get())
                            .into_iter()
                            .map(|v| {
                                let label = report::words(&v);
                                view! { <option value=v.clone() selected=move || service.get() == v>{label}</option> }
                            })
                            .collect_view();
                        view! {
                            <label>"Service"
                                <select id="filter-service" on:change=move |ev| service.set(event_target_value(&ev))>{options}</select>
                            </label>
                        }
                    })}
                    <label>"From (month)"
                        <input id="filter-from" type="month" on:change=move |ev| from.set(event_target_value(&ev))/>
                    </label>
                    <label>"To (month)"
                        <input id="filter-to" type="month" on:change=move |ev| to.set(event_target_value(&ev))/>
                    </label>
                    <button id="download-csv" on:click=download>"Download CSV"</button>
                </div>
                <p class="error" id="report-error">{move || error.get()}</p>
                <p class="notice" id="shown-for">{move || shown_for.get().map(|scope| format!(
                    "Shown for {scope}: at this settlement, more than 20 % of this table would be suppressed."
                ))}</p>
                <p class="status" id="report-status">{move || if loading.get() { "Loading…" } else { "" }}</p>
                <div id="chart" class="chart" node_ref=chart_ref></div>
                {table}
                <p class="legend" id="legend">
                    "* suppressed: fewer than 25 households behind the figure, or a small count "
                    "(or a cell that would reveal one by subtraction). (x): 25–49 households, "
                    "interpret with caution. <5: a base of 1–4 households is not shown. "
                    "The base n counts households (members for member figures, adults for adult "
                    "figures, focus groups in R2, R3 and R12's community items, service actors "
                    "(operator items) in R8, stakeholders (consultations) in R12). Household "
                    "figures are weighted by each settlement's design weight; groups, actors and "
                    "stakeholders count once each."
                </p>
            </main>
        </div>
    }
}
