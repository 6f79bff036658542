//! The console in the browser: sign-in (supervisors and admins only), the language, the
//! screens' navigation, and the one way every screen talks to the API ([`Api`]). Each screen
//! is a module; what they compute that is not a view is in `show` (tested natively).

use crate::i18n::Words as _;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use baraza_browser::fetch::{self, Reply};
use baraza_schema::api::{LoginResponse, Role};

use crate::i18n::Lang;

mod audit;
mod backups;
mod devices;
mod editor;
mod forms;
mod people;
mod progress;
mod quarantine;
mod settlements;
mod submissions;

const SESSION_KEY: &str = "baraza-console-session";
const LANG_KEY: &str = "baraza-console-lang";

/// Who is signed in, kept for the tab's life (sessionStorage).
#[derive(Clone, Serialize, Deserialize)]
struct SignedIn {
    token: String,
    role: Role,
    username: String,
}

/// The API as the screens use it: the session's token on every request, and a 401 signs out.
#[derive(Clone, Copy)]
pub(crate) struct Api {
    session: RwSignal<Option<SignedIn>>,
    pub lang: Lang,
}

impl Api {
    /// Sends one request; a failure to reach the server is a sentence in the interface's
    /// language, and an expired session ends the sign-in.
    pub async fn send(
        self,
        method: &str,
        path: &str,
        body: Option<String>,
    ) -> Result<Reply, String> {
        let token = self.session.get_untracked().map(|s| s.token);
        match fetch::send(
            method,
            &format!("/api/v1{path}"),
            token.as_deref(),
            body.as_deref(),
        )
        .await
        {
            Ok(r) if r.status == 401 => {
                sign_out(self.session);
                Err(self
                    .lang
                    .t("Your session has ended; sign in again.")
                    .to_owned())
            }
            Ok(r) => Ok(r),
            Err(_) => Err(self
                .lang
                .t("The server cannot be reached; check the connection and try again.")
                .to_owned()),
        }
    }

    /// A GET whose 200 answer is read as `T`; anything else is the server's sentence.
    pub async fn get<T: serde::de::DeserializeOwned>(self, path: &str) -> Result<T, String> {
        let r = self.send("GET", path, None).await?;
        if r.status != 200 {
            return Err(r.message());
        }
        r.json::<T>().map_err(|e| format!("unreadable reply: {e}"))
    }

    /// A request with a JSON body whose success is any 2xx; the error is the server's sentence.
    pub async fn call(
        self,
        method: &str,
        path: &str,
        body: serde_json::Value,
    ) -> Result<Reply, String> {
        let r = self.send(method, path, Some(body.to_string())).await?;
        if (200..300).contains(&r.status) {
            Ok(r)
        } else {
            Err(r.message())
        }
    }

    pub fn role(self) -> Option<Role> {
        self.session.with_untracked(|s| s.as_ref().map(|s| s.role))
    }

    /// The token, for requests that send a file rather than JSON.
    pub fn token(self) -> Option<String> {
        self.session.get_untracked().map(|s| s.token)
    }
}

fn session_storage() -> Option<web_sys::Storage> {
    window().session_storage().ok().flatten()
}

fn sign_out(session: RwSignal<Option<SignedIn>>) {
    if let Some(s) = session_storage() {
        let _ = s.remove_item(SESSION_KEY);
    }
    session.set(None);
}

/// The entry point, called by `index.html` once the module is loaded.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    // regex() in the form engine, with the browser's RegExp, as on the phone.
    baraza_schema::expr::set_regex(baraza_client::web::js_regex);
    baraza_schema::expr::set_transcendental(baraza_client::web::js_math);
    leptos::mount::mount_to_body(App);
}

/// The screens, in the navigation's order (`for_admin_only` says which are an admin's).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Screen {
    Progress,
    Submissions,
    Quarantine,
    Devices,
    People,
    Forms,
    Settlements,
    Audit,
    Backups,
}

impl Screen {
    const ALL: [Screen; 9] = [
        Screen::Progress,
        Screen::Submissions,
        Screen::Quarantine,
        Screen::Devices,
        Screen::People,
        Screen::Forms,
        Screen::Settlements,
        Screen::Audit,
        Screen::Backups,
    ];

    fn title(self, l: Lang) -> &'static str {
        match self {
            Screen::Progress => l.t("Progress"),
            Screen::Submissions => l.t("Submissions"),
            Screen::Quarantine => l.t("Quarantine"),
            Screen::Devices => l.t("Devices"),
            Screen::People => l.t("People"),
            Screen::Forms => l.t("Forms"),
            Screen::Settlements => l.t("Settlements"),
            Screen::Audit => l.t("Audit log"),
            Screen::Backups => l.t("Backups"),
        }
    }

    fn for_admin_only(self) -> bool {
        matches!(
            self,
            Screen::People | Screen::Forms | Screen::Audit | Screen::Backups
        )
    }
}

#[component]
fn App() -> impl IntoView {
    let stored = session_storage()
        .and_then(|s| s.get_item(SESSION_KEY).ok().flatten())
        .and_then(|j| serde_json::from_str::<SignedIn>(&j).ok());
    let session = RwSignal::new(stored);
    let local = window().local_storage().ok().flatten();
    let lang = RwSignal::new(
        local
            .as_ref()
            .and_then(|s| s.get_item(LANG_KEY).ok().flatten())
            .and_then(|c| Lang::from_code(&c))
            .unwrap_or(Lang::En),
    );
    // The page's language follows the chosen one (screen readers, hyphenation).
    Effect::new(move |_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("lang", lang.get().code());
        }
    });
    let choose_lang = move |ev| {
        if let Some(l) = Lang::from_code(&event_target_value(&ev)) {
            if let Some(s) = window().local_storage().ok().flatten() {
                let _ = s.set_item(LANG_KEY, l.code());
            }
            lang.set(l);
        }
    };
    // The whole page is drawn again in a new language: screens keep nothing a person typed
    // that a language change should keep.
    move || {
        let l = lang.get();
        let api = Api { session, lang: l };
        view! {
            <header class="top">
                <h1>{l.t("Baraza · console")}</h1>
                <div class="actions">
                    <div class="field lang"><label for="language">{l.t("Language")}</label>
                        <select id="language" on:change=choose_lang>
                            {Lang::ALL.into_iter().map(|x| view! {
                                <option value=x.code() selected=x == l>{x.name()}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    {move || session.get().map(|s| view! {
                        <span class="who">{s.username}</span>
                        <button id="sign-out" on:click=move |_| sign_out(session)>{l.t("Sign out")}</button>
                    })}
                </div>
            </header>
            {move || match session.get() {
                None => view! { <SignIn api/> }.into_any(),
                Some(s) => view! { <Shell api role=s.role/> }.into_any(),
            }}
        }
    }
}

#[component]
fn SignIn(api: Api) -> impl IntoView {
    let l = api.lang;
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let must_change = RwSignal::new(None::<SignedIn>);
    let signed_in = move |s: SignedIn| {
        if let Some(st) = session_storage()
            && let Ok(j) = serde_json::to_string(&s)
        {
            let _ = st.set_item(SESSION_KEY, &j);
        }
        api.session.set(Some(s));
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = serde_json::json!({"username": username.get_untracked(), "password": password.get_untracked()});
        leptos::task::spawn_local(async move {
            let r = match fetch::send("POST", "/api/v1/auth/login", None, Some(&body.to_string()))
                .await
            {
                Ok(r) => r,
                Err(_) => {
                    return error.set(Some(
                        l.t("The server cannot be reached; check the connection and try again.")
                            .into(),
                    ));
                }
            };
            if r.status != 200 {
                return error.set(Some(r.message()));
            }
            let Ok(login) = r.json::<LoginResponse>() else {
                return error.set(Some("unreadable reply".into()));
            };
            let me = SignedIn {
                token: login.token,
                role: login.role,
                username: username.get_untracked(),
            };
            match login.role {
                Role::Planner => error.set(Some(
                    l.t("The console is for supervisors and admins. Planners read the reports in the dashboard, at /dashboard/.").into(),
                )),
                Role::Enumerator => error.set(Some(
                    l.t("The console is for supervisors and admins. Enumerators use the Baraza app on their phone, at /.").into(),
                )),
                _ if login.must_change_password => must_change.set(Some(me)),
                _ => signed_in(me),
            }
        });
    };
    view! {
        {move || match must_change.get() {
            Some(me) => {
                let token = me.token.clone();
                let me = StoredValue::new(me);
                view! {
                    <ChangePassword api token current=Some(password.get_untracked())
                        on_done=move || signed_in(me.get_value())/>
                }.into_any()
            }
            None => view! {
                <main>
                <form class="card narrow" on:submit=submit>
                    <h2>{l.t("Sign in")}</h2>
                    <p>{l.t("For supervisors and admins: fieldwork progress, review, devices and people.")}</p>
                    <label>{l.t("Username")}<input id="username" autocomplete="username"
                        on:input=move |ev| username.set(event_target_value(&ev))/></label>
                    <label>{l.t("Password")}<input id="password" type="password" autocomplete="current-password"
                        on:input=move |ev| password.set(event_target_value(&ev))/></label>
                    <button type="submit" class="primary">{l.t("Sign in")}</button>
                    <p class="error" role="alert">{move || error.get()}</p>
                </form>
                </main>
            }.into_any(),
        }}
    }
}

/// A user chooses a new password (`PUT /auth/password`), typed twice: after an admin reset
/// it (`current` is what they just signed in with), or from the header.
#[component]
fn ChangePassword(
    api: Api,
    token: String,
    current: Option<String>,
    on_done: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let l = api.lang;
    let ask_current = current.is_none();
    let current = RwSignal::new(current.unwrap_or_default());
    let new = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let token = StoredValue::new(token);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if new.get_untracked() != again.get_untracked() {
            return error.set(Some(
                l.t("The two new passwords differ; type the same one twice.")
                    .into(),
            ));
        }
        let body = serde_json::json!({"current_password": current.get_untracked(), "new_password": new.get_untracked()});
        let t = token.get_value();
        leptos::task::spawn_local(async move {
            match fetch::send(
                "PUT",
                "/api/v1/auth/password",
                Some(&t),
                Some(&body.to_string()),
            )
            .await
            {
                Ok(r) if r.status == 204 => on_done(),
                Ok(r) => error.set(Some(r.message())),
                Err(_) => error.set(Some(
                    l.t("The server cannot be reached; check the connection and try again.")
                        .into(),
                )),
            }
        });
    };
    view! {
        <main>
        <form class="card narrow" on:submit=submit>
            <h2>{l.t("Choose a new password")}</h2>
            <p>{l.t("At least 8 characters. Your other sessions end.")}</p>
            {ask_current.then(|| view! {
                <label>{l.t("Current password")}<input id="current-password" type="password" autocomplete="current-password"
                    on:input=move |ev| current.set(event_target_value(&ev))/></label>
            })}
            <label>{l.t("New password")}<input id="new-password" type="password" autocomplete="new-password"
                on:input=move |ev| new.set(event_target_value(&ev))/></label>
            <label>{l.t("New password again")}<input id="new-password-again" type="password" autocomplete="new-password"
                on:input=move |ev| again.set(event_target_value(&ev))/></label>
            <button type="submit" class="primary">{l.t("Save the new password")}</button>
            <p class="error" role="alert">{move || error.get()}</p>
        </form>
        </main>
    }
}

/// The signed-in console: navigation and the current screen.
#[component]
fn Shell(api: Api, role: Role) -> impl IntoView {
    let l = api.lang;
    let screen = RwSignal::new(Screen::Progress);
    // A response to open on the submissions screen (from a flag or the quarantine).
    let open = RwSignal::new(None::<String>);
    let changing = RwSignal::new(false);
    let screens: Vec<Screen> = Screen::ALL
        .into_iter()
        .filter(|s| role == Role::Admin || !s.for_admin_only())
        .collect();
    let token = api.token().unwrap_or_default();
    view! {
        <nav class="screens" aria-label=l.t("Screens")>
            {screens.into_iter().map(|s| view! {
                <button class="tab" aria-current=move || (screen.get() == s && !changing.get()).then_some("page")
                    on:click=move |_| { changing.set(false); screen.set(s) }>{s.title(l)}</button>
            }).collect_view()}
            <button class="tab" aria-current=move || changing.get().then_some("page")
                on:click=move |_| changing.set(true)>{l.t("Change password")}</button>
        </nav>
        {move || if changing.get() {
            view! { <ChangePassword api token=token.clone() current=None on_done=move || changing.set(false)/> }.into_any()
        } else {
            match screen.get() {
                Screen::Progress => view! { <progress::Progress api screen=move |id| { open.set(Some(id)); screen.set(Screen::Submissions) }/> }.into_any(),
                Screen::Submissions => view! { <submissions::Submissions api open/> }.into_any(),
                Screen::Quarantine => view! { <quarantine::Quarantine api/> }.into_any(),
                Screen::Devices => view! { <devices::Devices api/> }.into_any(),
                Screen::People => view! { <people::People api/> }.into_any(),
                Screen::Forms => view! { <forms::Forms api/> }.into_any(),
                Screen::Settlements => view! { <settlements::Settlements api/> }.into_any(),
                Screen::Audit => view! { <audit::Audit api/> }.into_any(),
                Screen::Backups => view! { <backups::Backups api/> }.into_any(),
            }
        }}
    }
}

/// A status line: what is loading, or the last error, for screen readers too.
#[component]
pub(crate) fn Status(error: RwSignal<Option<String>>) -> impl IntoView {
    view! { <p class="error" role="alert">{move || error.get()}</p> }
}

/// Loads `T` from `path` into `into`, or the error into `error`.
pub(crate) fn load<T: serde::de::DeserializeOwned + Send + Sync + 'static>(
    api: Api,
    path: String,
    into: RwSignal<Option<T>>,
    error: RwSignal<Option<String>>,
) {
    leptos::task::spawn_local(async move {
        match api.get::<T>(&path).await {
            Ok(v) => {
                error.set(None);
                into.set(Some(v));
            }
            Err(e) => error.set(Some(e)),
        }
    });
}

/// A query string's value, escaped.
pub(crate) fn enc(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}
