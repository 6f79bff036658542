//! The dashboard in the browser: sign-in, the report list, filters, the chart (Apache
//! ECharts, loaded by `index.html`), the table with its suppression legend, CSV download and
//! a print view. Every figure comes from the server's reports API, where disclosure control
//! is applied; nothing here can switch it off.

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use baraza_browser::fetch::{self, Reply};
use baraza_schema::api::{LoginResponse, Report, ReportList, Role, Settlements};

use baraza_schema::disclosure::Reliability;

use crate::i18n::{Lang, Words};
use crate::report::{self, Cell, Meta};

const TOKEN_KEY: &str = "baraza-dashboard-token";
const LANG_KEY: &str = "baraza-dashboard-lang";

#[wasm_bindgen(inline_js = "export function draw(el, json, height) {
  el.style.height = height + 'px';
  const chart = echarts.getInstanceByDom(el) || echarts.init(el, null, { renderer: 'svg' });
  chart.resize();
  chart.setOption(JSON.parse(json), true);
}
export function wide() { return window.matchMedia('(min-width: 50rem)').matches; }")]
extern "C" {
    /// Draws (or redraws) an ECharts chart with the given option object, `height` px tall.
    fn draw(el: &web_sys::HtmlElement, options: &str, height: u32);
    /// Whether the screen is wide enough for the report list beside the report.
    fn wide() -> bool;
}

/// The interface language, shared by every screen.
fn lang() -> RwSignal<Lang> {
    use_context::<RwSignal<Lang>>().expect("the language is provided by App")
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
    let stored = session_storage().and_then(|s| s.get_item(LANG_KEY).ok().flatten());
    let lang = RwSignal::new(stored.and_then(|c| Lang::from_code(&c)).unwrap_or(Lang::En));
    provide_context(lang);
    Effect::new(move |_| {
        let l = lang.get();
        if let Some(s) = session_storage() {
            let _ = s.set_item(LANG_KEY, l.code());
        }
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("lang", l.code());
        }
    });
    let languages = move || {
        Lang::ALL
            .into_iter()
            .map(|l| view! { <option value=l.code() selected=move || lang.get() == l>{l.name()}</option> })
            .collect_view()
    };
    view! {
        <header class="top">
            <h1>{move || lang.get().t("Baraza · needs and concerns")}</h1>
            <nav class="actions">
                <label class="language">{move || lang.get().t("Language")}
                    <select id="language" on:change=move |ev| {
                        if let Some(l) = Lang::from_code(&event_target_value(&ev)) {
                            lang.set(l);
                        }
                    }>{languages}</select>
                </label>
                {move || token.get().map(|_| view! {
                    <button id="print" on:click=move |_| { let _ = window().print(); }>{move || lang.get().t("Print")}</button>
                    <button id="change-password" on:click=move |_| changing.update(|c| *c = !*c)>{move || lang.get().t("Change password")}</button>
                    <button id="sign-out" on:click=move |_| sign_out()>{move || lang.get().t("Sign out")}</button>
                })}
            </nav>
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
    let lang = lang();
    let current = RwSignal::new(current.unwrap_or_default());
    let new = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let token = StoredValue::new(token);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if new.get_untracked() != again.get_untracked() {
            error.set(Some(
                lang.get_untracked()
                    .t("The two new passwords differ; type the same one twice.")
                    .into(),
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
            <h2>{move || lang.get().t("Choose a new password")}</h2>
            <p>{move || lang.get().t("At least 8 characters. Your other sessions end.")}</p>
            {ask_current.then(|| view! {
                <label>{move || lang.get().t("Current password")}<input id="current-password" type="password" autocomplete="current-password"
                    on:input=move |ev| current.set(event_target_value(&ev))/></label>
            })}
            <label>{move || lang.get().t("New password")}<input id="new-password" type="password" autocomplete="new-password"
                on:input=move |ev| new.set(event_target_value(&ev))/></label>
            <label>{move || lang.get().t("New password again")}<input id="new-password-again" type="password" autocomplete="new-password"
                on:input=move |ev| again.set(event_target_value(&ev))/></label>
            <button id="save-password" type="submit">{move || lang.get().t("Save the new password")}</button>
            <p class="error" role="alert">{move || error.get()}</p>
        </form>
    }
}

#[component]
fn SignIn(token: RwSignal<Option<String>>) -> impl IntoView {
    let lang = lang();
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
                        lang.get_untracked()
                            .t("Enumerator accounts cannot read reports; sign in as a planner, supervisor or admin.")
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
                    <h2>{move || lang.get().t("Sign in")}</h2>
                    <p>{move || lang.get().t("Reports are for planners, supervisors and administrators.")}</p>
                    <label>{move || lang.get().t("Username")}<input id="username" autocomplete="username"
                        on:input=move |ev| username.set(event_target_value(&ev))/></label>
                    <label>{move || lang.get().t("Password")}<input id="password" type="password" autocomplete="current-password"
                        on:input=move |ev| password.set(event_target_value(&ev))/></label>
                    <button id="sign-in" type="submit">{move || lang.get().t("Sign in")}</button>
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
    quarter: String,
}

/// The query string of the current filters, in `lang`.
fn query(f: &Filters, lang: Lang) -> String {
    let mut q = format!("?by={}&lang={}", f.by, lang.code());
    for (k, v) in [
        ("settlement", &f.settlement),
        ("settlement_type", &f.settlement_type),
        ("quarter", &f.quarter),
    ] {
        if !v.is_empty() {
            q.push_str(&format!("&{k}={}", js_sys::encode_uri_component(v)));
        }
    }
    q
}

/// What a table "shown for" names, in words: the server says `settlement type B` or `the
/// whole city`.
fn shown_for_words(scope: &str, lang: Lang) -> String {
    match scope.strip_prefix("settlement type ") {
        Some(kind) => format!("{} {kind}", lang.t("settlement type")),
        None => lang.t("the whole city").to_owned(),
    }
}

/// The reports screen: list, filters, chart, table, legend, CSV. Long because a Leptos
/// component is its signals and one `view!` tree; the figures' logic is in `report.rs`.
/// The first screen is R16, municipal objectives against community priorities.
#[component]
fn Reports(token: String, on_expired: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let lang = lang();
    let token = StoredValue::new(token);
    let reports = RwSignal::new(Vec::<Meta>::new());
    let settlements = RwSignal::new(Vec::<(String, String, String)>::new());
    let selected = RwSignal::new(None::<String>);
    let by = RwSignal::new("all".to_owned());
    let settlement = RwSignal::new(String::new());
    let settlement_type = RwSignal::new(String::new());
    let quarter = RwSignal::new(String::new());
    // The quarters with interviews, as the last report said.
    let quarters = RwSignal::new(Vec::<String>::new());
    let filters = move || Filters {
        by: by.get(),
        settlement: settlement.get(),
        settlement_type: settlement_type.get(),
        quarter: quarter.get(),
    };
    let cells = RwSignal::new(Vec::<Cell>::new());
    let labels = RwSignal::new(std::collections::BTreeMap::<String, String>::new());
    let service = RwSignal::new("water".to_owned());
    let show_all = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let shown_for = RwSignal::new(None::<String>);
    let loading = RwSignal::new(false);
    let chart_ref = NodeRef::<leptos::html::Div>::new();
    // The report list: open beside the report on a wide screen; a menu that folds away
    // once a report is chosen on a phone.
    let menu_open = RwSignal::new(wide());
    let meta = move || {
        let id = selected.get()?;
        reports.with(|list| list.iter().find(|m| m.id == id).cloned())
    };

    // The catalogue in the chosen language; R16 first.
    Effect::new(move |_| {
        let l = lang.get();
        let t = token.get_value();
        leptos::task::spawn_local(async move {
            let path = format!("/api/v1/reports?lang={}", l.code());
            match send("GET", &path, Some(&t), None).await {
                Ok(r) if r.status == 200 => {
                    let mut list: Vec<Meta> = r
                        .json::<ReportList>()
                        .map(|l| l.reports)
                        .unwrap_or_default();
                    if let Some(i) = list.iter().position(|m| m.id == "R16") {
                        let first = list.remove(i);
                        list.insert(0, first);
                    }
                    if selected.get_untracked().is_none() {
                        selected.set(list.first().map(|m| m.id.clone()));
                    }
                    reports.set(list);
                }
                Ok(r) if r.status == 401 => on_expired(),
                Ok(r) => error.set(Some(r.message())),
                Err(e) => error.set(Some(e)),
            }
        });
    });
    leptos::task::spawn_local(async move {
        let t = token.get_value();
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

    // Fetch the cells whenever the report, a filter or the language changes. Choosing with
    // the keyboard passes through every option on the way, and the answers may come back
    // in any order: only the answer to the latest request is shown.
    let latest = StoredValue::new(0u64);
    Effect::new(move |_| {
        let Some(id) = selected.get() else { return };
        let q = query(&filters(), lang.get());
        let t = token.get_value();
        let mine = latest.get_value() + 1;
        latest.set_value(mine);
        loading.set(true);
        leptos::task::spawn_local(async move {
            let path = format!("/api/v1/reports/{id}{q}");
            let reply = send("GET", &path, Some(&t), None).await;
            if latest.get_value() != mine {
                return;
            }
            match reply {
                Ok(r) if r.status == 200 => match r.json::<Report>() {
                    Ok(report) => {
                        shown_for.set(report.shown_for);
                        error.set(None);
                        labels.set(report.labels);
                        quarters.set(report.quarters);
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

    // The chart as the cells, the service, the language and "show all" say.
    Effect::new(move |_| {
        let list = cells.get();
        let names = labels.get();
        let m = meta();
        let (id, kind) = m.map(|m| (m.id, m.chart)).unwrap_or_default();
        let service = service.get();
        let v = report::View {
            report: &id,
            kind: &kind,
            service: &service,
            labels: &names,
            lang: lang.get(),
            show_all: show_all.get(),
            narrow: !wide(),
        };
        if let Some(el) = chart_ref.get() {
            draw(
                &el,
                &report::chart(&v, &list).to_string(),
                report::chart_height(&v, &list),
            );
        }
    });

    let download = move |_| {
        let Some(id) = selected.get_untracked() else {
            return;
        };
        let q = query(&untrack(filters), lang.get_untracked());
        let t = token.get_value();
        leptos::task::spawn_local(async move {
            let path = format!("/api/v1/reports/{id}.csv{q}");
            match fetch::fetch("GET", &path, Some(&t), None).await {
                Ok(r) if r.status() == 200 => {
                    if let Err(e) =
                        fetch::save(&r, &format!("{id}-{}.csv", by.get_untracked())).await
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

    // The report-back sheet of the chosen settlement, in the chosen language, opened in a
    // page of its own to print (the server renders it: `sheet::render`).
    let sheet = move |_| {
        let code = settlement.get_untracked();
        let l = lang.get_untracked();
        let t = token.get_value();
        leptos::task::spawn_local(async move {
            let path = format!("/api/v1/reports/sheet/{code}?lang={}", l.code());
            match send("GET", &path, Some(&t), None).await {
                Ok(r) if r.status == 200 => {
                    if let Err(e) = fetch::open_html(&r.body) {
                        error.set(Some(e));
                    }
                }
                Ok(r) if r.status == 401 => on_expired(),
                Ok(r) => error.set(Some(r.message())),
                Err(e) => error.set(Some(e)),
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
                    move || selected.get().as_deref() == Some(id.as_str())
                };
                let pick = m.clone();
                view! {
                    <li><button class="report-link" class:current=current data-report=id.clone()
                        on:click=move |_| {
                            if !pick.by.contains(&by.get_untracked()) {
                                by.set(pick.by.first().cloned().unwrap_or_default());
                            }
                            show_all.set(false);
                            menu_open.set(wide());
                            selected.set(Some(pick.id.clone()));
                        }>
                        <b>{id.clone()}</b>" "{m.title.clone()}
                    </button></li>
                }
            })
            .collect_view()
    };

    let by_options = move || {
        let m = meta().unwrap_or_else(|| Meta {
            id: String::new(),
            title: String::new(),
            forms: vec![],
            by: vec![],
            sensitive: false,
            chart: String::new(),
            by_labels: vec![],
        });
        m.by.into_iter()
            .enumerate()
            .map(|(i, b)| {
                let label = m.by_labels.get(i).cloned().unwrap_or_else(|| b.clone());
                view! { <option value=b.clone() selected=move || by.get() == b>{label}</option> }
            })
            .collect_view()
    };
    // The settlements of the chosen type only: the filters cannot contradict each other.
    let settlement_options = move || {
        let kind = settlement_type.get();
        settlements
            .get()
            .into_iter()
            .filter(|s| kind.is_empty() || s.2 == kind)
            .map(|(code, name, kind)| {
                let text = format!("{name} ({} {kind})", lang.get().t("Type"));
                let chosen = code.clone();
                view! { <option value=code.clone() selected=move || settlement.get() == chosen>{text}</option> }
            })
            .collect_view()
    };
    let type_options = move || {
        let mut kinds: Vec<String> = settlements.get().into_iter().map(|s| s.2).collect();
        kinds.sort();
        kinds.dedup();
        kinds
            .into_iter()
            .map(|k| {
                let text = format!("{} {k}", lang.get().t("Type"));
                let chosen = k.clone();
                view! { <option value=k.clone() selected=move || settlement_type.get() == chosen>{text}</option> }
            })
            .collect_view()
    };
    let choose_type = move |kind: String| {
        let keep = settlements.with(|list| {
            list.iter()
                .any(|s| s.0 == settlement.get_untracked() && (kind.is_empty() || s.2 == kind))
        });
        if !keep {
            settlement.set(String::new());
        }
        settlement_type.set(kind);
    };

    let table = move || {
        let m = meta();
        let (id, kind) = m.map(|m| (m.id, m.chart)).unwrap_or_default();
        let names = labels.get();
        let service = service.get();
        let l = lang.get();
        let v = report::View {
            report: &id,
            kind: &kind,
            service: &service,
            labels: &names,
            lang: l,
            show_all: show_all.get(),
            narrow: false,
        };
        let list = cells.get();
        let matrix = report::matrix(&v, &list);
        let heads = report::columns(&id, l);
        let rows = report::table_rows(&v, &list)
            .into_iter()
            .map(|c| {
                let figures = report::row(&id, c, l)
                    .into_iter()
                    .map(|f| view! { <td class="num">{f}</td> })
                    .collect_view();
                view! {
                    <tr class:suppressed=c.suppressed class:caution=c.reliability == Reliability::Caution>
                        <th scope="row">{v.name(&c.item)}</th>
                        <td>{v.name(&c.level)}</td>
                        {figures}
                        <td class="num">{c.base()}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="table-scroll" tabindex="0" role="region" aria-label=l.t("Reports")>
                <table id="report-table">
                    <thead><tr>
                        <th>{l.t("Item")}</th><th>{l.t("Group")}</th>
                        {heads.into_iter().map(|h| view! { <th class="num">{h}</th> }).collect_view()}
                        <th class="num">{l.t("Base (n)")}</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            {(!matrix.rows.is_empty()).then(|| view! {
                <h3>{l.t("Actors serving each settlement, by provider group (% of them)")}</h3>
                <div class="table-scroll" tabindex="0" role="region" aria-label=l.t("Actors serving each settlement, by provider group (% of them)")>
                    <table id="actors-matrix">
                        <thead><tr>
                            <th>{l.t("Settlement")}</th>
                            {matrix.columns.into_iter().map(|c| view! { <th class="num">{c}</th> }).collect_view()}
                            <th class="num">{l.t("Base (n)")}</th>
                        </tr></thead>
                        <tbody>{matrix.rows.into_iter().map(|(name, figures, base)| view! {
                            <tr><th scope="row">{name}</th>
                                {figures.into_iter().map(|f| view! { <td class="num">{f}</td> }).collect_view()}
                                <td class="num">{base}</td></tr>
                        }).collect_view()}</tbody>
                    </table>
                </div>
            })}
        }
    };

    // "Show all" for a bar chart with more items than it ranks at first.
    let more = move || {
        let m = meta()?;
        if m.chart != "bar" {
            return None;
        }
        let names = labels.get();
        let v = report::View {
            report: &m.id,
            kind: &m.chart,
            service: "",
            labels: &names,
            lang: lang.get(),
            show_all: false,
            narrow: false,
        };
        let all = cells.with(|c| report::ranked_items(&v, c).1);
        (all > report::TOP).then(|| {
            let l = lang.get();
            let text = if show_all.get() {
                l.t("Show the highest 12").to_owned()
            } else {
                format!("{} ({all})", l.t("Show all"))
            };
            view! { <button id="show-all" on:click=move |_| show_all.update(|s| *s = !*s)>{text}</button> }
        })
    };

    view! {
        <div class="layout">
            <nav class="reports">
                <details prop:open=move || menu_open.get()
                    on:toggle=move |ev| menu_open.set(event_target::<web_sys::HtmlDetailsElement>(&ev).open())>
                    <summary><h2>{move || lang.get().t("Reports")}</h2></summary>
                    <ul>{report_list}</ul>
                </details>
            </nav>
            <main>
                <h2 id="report-title">{move || meta().map(|m| format!("{} · {}", m.id, m.title))}</h2>
                <div class="filters">
                    <label>{move || lang.get().t("Disaggregation")}
                        <select id="filter-by" on:change=move |ev| by.set(event_target_value(&ev))>{by_options}</select>
                    </label>
                    <label>{move || lang.get().t("Settlement type")}
                        <select id="filter-type" on:change=move |ev| choose_type(event_target_value(&ev))>
                            <option value="">{move || lang.get().t("All types")}</option>{type_options}
                        </select>
                    </label>
                    <label>{move || lang.get().t("Settlement")}
                        <select id="filter-settlement" on:change=move |ev| settlement.set(event_target_value(&ev))>
                            <option value="">{move || lang.get().t("All settlements")}</option>{settlement_options}
                        </select>
                    </label>
                    {move || (meta().map(|m| m.chart == "stacked") == Some(true)).then(|| {
                        let list = cells.get();
                        let names = labels.get();
                        let v = report::View {
                            report: "",
                            kind: "stacked",
                            service: "",
                            labels: &names,
                            lang: lang.get(),
                            show_all: true,
                            narrow: false,
                        };
                        let options = report::services(&list)
                            .into_iter()
                            .map(|code| {
                                let label = report::service_name(&v, &list, &code);
                                view! { <option value=code.clone() selected=move || service.get() == code>{label}</option> }
                            })
                            .collect_view();
                        view! {
                            <label>{lang.get().t("Service")}
                                <select id="filter-service" on:change=move |ev| service.set(event_target_value(&ev))>{options}</select>
                            </label>
                        }
                    })}
                    <label>{move || lang.get().t("Quarter")}
                        <select id="filter-quarter" on:change=move |ev| quarter.set(event_target_value(&ev))>
                            <option value="" selected=move || quarter.get().is_empty()>{move || lang.get().t("Whole fieldwork")}</option>
                            {move || quarters.get().into_iter().map(|q| {
                                let (value, words) = (q.clone(), q.clone());
                                view! { <option value=q selected=move || quarter.get() == value>{words}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    <button id="download-csv" on:click=download>{move || lang.get().t("Download CSV")}</button>
                    {move || (!settlement.get().is_empty()).then(|| view! {
                        <button id="print-sheet" on:click=sheet>{lang.get().t("Print for the meeting")}</button>
                    })}
                </div>
                <p class="error" id="report-error">{move || error.get()}</p>
                <p class="notice" id="shown-for">{move || shown_for.get().map(|scope| {
                    let l = lang.get();
                    format!(
                        "{} {}: {}",
                        l.t("Shown for"),
                        shown_for_words(&scope, l),
                        l.t("at this settlement, more than 20 % of this table would be suppressed."),
                    )
                })}</p>
                <p class="status" id="report-status">{move || if loading.get() { lang.get().t("Loading…") } else { "" }}</p>
                <div id="chart" class="chart" node_ref=chart_ref></div>
                {more}
                {table}
                <p class="legend" id="legend">{move || lang.get().t("* suppressed: fewer than 25 households behind the figure, or a small count (or a cell that would reveal one by subtraction). (x): 25–49 households, interpret with caution. A hidden figure's base is hidden too, since it could be subtracted. The base n counts households (members for member figures, adults for adult figures, focus groups in R2, R3 and R12's community items, service actors (operator items) in R8, stakeholders (consultations) in R12). Household figures are weighted by each settlement's design weight; groups, actors and stakeholders count once each.")}</p>
            </main>
        </div>
    }
}
