//! People (admins): the accounts; add one; reset a password (changed at next sign-in);
//! disable and enable (sessions end at once, devices sync until revoked); change the role;
//! assign a supervisor's settlements; end all sessions.

use crate::i18n::Words as _;
use leptos::prelude::*;
use serde_json::json;

use baraza_schema::api::{Role, User, Users};

use super::{Api, Status, load};
use crate::i18n::Lang;

pub fn role_name(l: Lang, r: Role) -> &'static str {
    match r {
        Role::Admin => l.t("Admin"),
        Role::Supervisor => l.t("Supervisor"),
        Role::Planner => l.t("Planner"),
        Role::Enumerator => l.t("Enumerator"),
    }
}

#[component]
pub fn People(api: Api) -> impl IntoView {
    let l = api.lang;
    let users = RwSignal::new(None::<Users>);
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let open = RwSignal::new(None::<i64>);
    let reload = move || load(api, "/users".into(), users, error);
    reload();
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Enumerator.as_str().to_owned());
    let password = RwSignal::new(String::new());
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = json!({"username": name.get_untracked().trim(), "role": role.get_untracked(), "password": password.get_untracked()});
        leptos::task::spawn_local(async move {
            match api.call("POST", "/users", body).await {
                Ok(_) => {
                    error.set(None);
                    done.set(Some(format!(
                        "{}: {}",
                        l.t("Account added"),
                        name.get_untracked().trim()
                    )));
                    reload();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <main>
            <h2>{l.t("People")}</h2>
            <Status error/>
            <p class="done" role="status">{move || done.get()}</p>
            <form class="card filters" on:submit=add>
                <h3 class="wide">{l.t("Add an account")}</h3>
                <label>{l.t("Username")}<input id="new-username" autocomplete="off" on:input=move |ev| name.set(event_target_value(&ev))/></label>
                <div class="field"><label for="new-role">{l.t("Role")}</label>
                    <select id="new-role" on:change=move |ev| role.set(event_target_value(&ev))>
                        {Role::ALL.iter().copied().map(|r| view! { <option value=r.as_str() selected=r == Role::Enumerator>{role_name(l, r)}</option> }).collect_view()}
                    </select>
                </div>
                <label>{l.t("First password (at least 8 characters)")}<input id="new-user-password" type="password" autocomplete="new-password" on:input=move |ev| password.set(event_target_value(&ev))/></label>
                <button type="submit" class="primary">{l.t("Add")}</button>
            </form>
            <div class="scroll" tabindex="0"><table id="people">
                <thead><tr>
                    <th scope="col">{l.t("Username")}</th>
                    <th scope="col">{l.t("Role")}</th>
                    <th scope="col">{l.t("Status")}</th>
                    <th scope="col">{l.t("Settlements")}</th>
                    <th scope="col">{l.t("Action")}</th>
                </tr></thead>
                <tbody>
                    {move || users.get().map(|u| u.users.into_iter().map(|u| {
                        let id = u.id;
                        let status = if u.disabled { l.t("disabled") } else if u.must_change_password { l.t("must change password") } else { l.t("active") };
                        view! {
                            <tr>
                                <td>{u.username.clone()}</td>
                                <td>{role_name(l, u.role)}</td>
                                <td>{status}</td>
                                <td>{u.settlements.join(", ")}</td>
                                <td><button aria-expanded=move || (open.get() == Some(id)).to_string()
                                    aria-label=format!("{} · {}", l.t("Manage"), u.username)
                                    on:click=move |_| open.update(|o| *o = if *o == Some(id) { None } else { Some(id) })>{l.t("Manage")}</button></td>
                            </tr>
                            {move || (open.get() == Some(id)).then(|| view! {
                                <tr class="panel"><td colspan="5"><Manage api user=u.clone() on_done=move |msg: String| { done.set(Some(msg)); reload(); }/></td></tr>
                            })}
                        }
                    }).collect_view())}
                </tbody>
            </table></div>
        </main>
    }
}

/// One account's actions.
#[component]
fn Manage(
    api: Api,
    user: User,
    on_done: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let l = api.lang;
    let id = user.id;
    let who = StoredValue::new(user.username.clone());
    let error = RwSignal::new(None::<String>);
    let act =
        move |method: &'static str, path: String, body: serde_json::Value, said: &'static str| {
            leptos::task::spawn_local(async move {
                match api.call(method, &path, body).await {
                    Ok(_) => on_done(format!("{} · {said}", who.get_value())),
                    Err(e) => error.set(Some(e)),
                }
            });
        };
    let temp = RwSignal::new(String::new());
    let role = RwSignal::new(user.role.as_str().to_owned());
    let places = RwSignal::new(user.settlements.join(", "));
    let reset = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        act(
            "POST",
            format!("/users/{id}/password"),
            json!({"password": temp.get_untracked()}),
            l.t("Password reset: they choose a new one at their next sign-in."),
        );
    };
    let set_role = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        act(
            "PUT",
            format!("/users/{id}/role"),
            json!({"role": role.get_untracked()}),
            l.t("Role changed."),
        );
    };
    let set_places = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let list: Vec<String> = places
            .get_untracked()
            .split([',', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        act(
            "PUT",
            format!("/users/{id}/settlements"),
            json!({"settlements": list}),
            l.t("Settlements saved."),
        );
    };
    view! {
        <div class="manage">
            <Status error/>
            <form class="filters" on:submit=reset>
                <label>{l.t("Temporary password")}<input id="reset-password" type="password" autocomplete="new-password" on:input=move |ev| temp.set(event_target_value(&ev))/></label>
                <button type="submit">{l.t("Reset the password")}</button>
            </form>
            <form class="filters" on:submit=set_role>
                <div class="field"><label for="change-role">{l.t("Role")}</label>
                    <select id="change-role" on:change=move |ev| role.set(event_target_value(&ev))>
                        {Role::ALL.iter().copied().map(|r| view! { <option value=r.as_str() selected=r == user.role>{role_name(l, r)}</option> }).collect_view()}
                    </select>
                </div>
                <button type="submit">{l.t("Change the role")}</button>
            </form>
            {(user.role == Role::Supervisor).then(|| view! {
                <form class="filters" on:submit=set_places>
                    <label>{l.t("Settlement codes, separated by commas")}<input id="assign-settlements" prop:value=places.get_untracked() on:input=move |ev| places.set(event_target_value(&ev))/></label>
                    <button type="submit">{l.t("Save the settlements")}</button>
                </form>
            })}
            <div class="actions">
                {if user.disabled {
                    view! { <button on:click=move |_| act("POST", format!("/users/{id}/enable"), json!({}), l.t("Enabled."))>{l.t("Enable")}</button> }.into_any()
                } else {
                    view! { <button class="danger" on:click=move |_| act("POST", format!("/users/{id}/disable"), json!({}), l.t("Disabled: their sessions ended. Their phones keep syncing until you revoke them on the Devices screen."))>{l.t("Disable")}</button> }.into_any()
                }}
                <button on:click=move |_| act("POST", format!("/users/{id}/sessions/end"), json!({}), l.t("All their sessions ended."))>{l.t("End all sessions")}</button>
            </div>
            <p class="hint">{l.t("Disabling ends their sessions at once; their phones keep syncing until revoked on the Devices screen.")}</p>
        </div>
    }
}
