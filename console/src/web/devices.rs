//! Devices and enrollment: each phone with its last sync and its acknowledged and backed-up
//! sequence numbers; revoke a lost one; enroll a new one with a one-time code shown as text
//! and as a QR code; or set up ODK Collect for an enumerator with a device key (its server
//! URL, and Collect's settings as a QR code).

use crate::i18n::Words as _;
use crate::show;
use leptos::prelude::*;
use serde_json::json;

use baraza_schema::api::{EnrollmentCode, OdkKey, Progress, Role, Users};

use super::{Api, Status, load};

#[component]
pub fn Devices(api: Api) -> impl IntoView {
    let l = api.lang;
    let figures = RwSignal::new(None::<Progress>);
    let users = RwSignal::new(None::<Users>);
    let error = RwSignal::new(None::<String>);
    let reload = move || load(api, "/progress".into(), figures, error);
    reload();
    load(api, "/users".into(), users, error);
    let confirm = RwSignal::new(None::<String>);
    let revoke = move |id: String| {
        leptos::task::spawn_local(async move {
            match api
                .call("POST", &format!("/devices/{id}/revoke"), json!({}))
                .await
            {
                Ok(_) => {
                    confirm.set(None);
                    reload();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <main>
            <h2>{l.t("Devices")}</h2>
            <Enroll api users/>
            <OdkCollect api users on_made=move || reload()/>
            <Status error/>
            <div class="scroll" tabindex="0"><table id="devices">
                <thead><tr>
                    <th scope="col">{l.t("Enumerator")}</th>
                    <th scope="col">{l.t("Device")}</th>
                    <th scope="col">{l.t("Last sent")}</th>
                    <th scope="col" class="num">{l.t("Acknowledged")}</th>
                    <th scope="col" class="num">{l.t("Backed up")}</th>
                    <th scope="col">{l.t("Action")}</th>
                </tr></thead>
                <tbody>
                    {move || figures.get().map(|p| p.devices.into_iter().map(|d| {
                        let id = d.device_id.clone();
                        let id2 = d.device_id.clone();
                        let asking = {
                            let id = d.device_id.clone();
                            move || confirm.get().as_deref() == Some(id.as_str())
                        };
                        view! { <tr>
                            <td>{d.username.clone()}</td>
                            <td class="id">{d.device_id.clone()}</td>
                            <td>{d.last_upload.clone().unwrap_or_else(|| l.t("never").into())}</td>
                            <td class="num">{d.acked_through_seq}</td>
                            <td class="num">{d.backed_up_through_seq}</td>
                            <td>{if d.revoked {
                                view! { <span>{l.t("revoked")}</span> }.into_any()
                            } else {
                                let name = d.username.clone();
                                view! {
                                    {move || if asking() {
                                        let id = id2.clone();
                                        view! {
                                            <span class="confirm">{l.t("The phone stops syncing. What it has not sent stays on it.")}</span>
                                            <button class="danger" on:click=move |_| revoke(id.clone())>{l.t("Revoke now")}</button>
                                            <button on:click=move |_| confirm.set(None)>{l.t("Cancel")}</button>
                                        }.into_any()
                                    } else {
                                        let id = id.clone();
                                        view! {
                                            <button aria-label=format!("{} · {name}", l.t("Revoke"))
                                                on:click=move |_| confirm.set(Some(id.clone()))>{l.t("Revoke")}</button>
                                        }.into_any()
                                    }}
                                }.into_any()
                            }}</td>
                        </tr> }
                    }).collect_view())}
                </tbody>
            </table></div>
        </main>
    }
}

/// A one-time enrollment code for a chosen enumerator: typed on the phone's enroll screen,
/// or its QR code scanned with the phone's camera, which opens the app with the code filled.
#[component]
fn Enroll(api: Api, users: RwSignal<Option<Users>>) -> impl IntoView {
    let l = api.lang;
    let who = RwSignal::new(String::new());
    let code = RwSignal::new(None::<EnrollmentCode>);
    let error = RwSignal::new(None::<String>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        for_enumerator(api, who, "/enrollment-codes", error, move |c| {
            code.set(Some(c))
        });
    };
    // Scanned with the phone's camera, the QR code opens the app with the code filled in.
    let link = move || {
        let origin = window().location().origin().ok()?;
        code.get().map(|c| format!("{origin}/#enroll={}", c.code))
    };
    let qr =
        move || link().and_then(|url| qr_code(&url, 200, l.t("QR code of the enrollment code")));
    view! {
        <section class="card">
            <h3>{l.t("Enroll a phone")}</h3>
            <form class="filters" on:submit=create>
                <div class="field"><label for="enroll-user">{l.t("Enumerator")}</label>
                    <select id="enroll-user" on:change=move |ev| who.set(event_target_value(&ev))>
                        <option value="">{l.t("Choose…")}</option>
                        {enumerator_options(users)}
                    </select>
                </div>
                <button type="submit" class="primary">{l.t("Create a one-time code")}</button>
            </form>
            <Status error/>
            {move || code.get().map(|c| view! {
                <div class="code-box">
                    <p>{l.t("On the phone: open Baraza, choose “Enroll with a code”, and type")}</p>
                    <p class="code" id="enrollment-code">{c.code.clone()}</p>
                    <p>{format!("{} {} · {} {}", l.t("For"), c.username, l.t("valid until"), show::when(&c.expires_at))}</p>
                    <p>{l.t("Or scan this code with the phone's camera, or open this address on the phone:")}</p>
                    <p class="id" id="enrollment-link">{link()}</p>
                </div>
            })}
            {qr}
        </section>
    }
}

/// Posts `{"user_id"}` of the enumerator chosen in `who` to `path` and hands the answer to
/// `done`; a missing choice or a refusal goes to `error` as a sentence.
fn for_enumerator<T: serde::de::DeserializeOwned + 'static>(
    api: Api,
    who: RwSignal<String>,
    path: &'static str,
    error: RwSignal<Option<String>>,
    done: impl Fn(T) + 'static,
) {
    let Ok(user_id) = who.get_untracked().parse::<i64>() else {
        return error.set(Some(api.lang.t("Choose the enumerator first.").into()));
    };
    leptos::task::spawn_local(async move {
        match api.call("POST", path, json!({"user_id": user_id})).await {
            Ok(r) => match r.json::<T>() {
                Ok(v) => {
                    error.set(None);
                    done(v);
                }
                Err(e) => error.set(Some(e.to_string())),
            },
            Err(e) => error.set(Some(e)),
        }
    });
}

/// `text` as a QR code (SVG) at least `size` pixels wide, named for screen readers.
fn qr_code(text: &str, size: u32, name: &'static str) -> Option<AnyView> {
    let svg = qrcode::QrCode::new(text.as_bytes())
        .ok()?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(size, size)
        .build();
    Some(view! { <div class="qr" role="img" aria-label=name inner_html=svg></div> }.into_any())
}

/// The enabled enumerators, as options of a chooser.
fn enumerator_options(users: RwSignal<Option<Users>>) -> impl IntoView {
    move || {
        users.get().map(|u| {
            u.users
                .into_iter()
                .filter(|u| u.role == Role::Enumerator && !u.disabled)
                .map(|u| view! { <option value=u.id.to_string()>{u.username}</option> })
                .collect_view()
        })
    }
}

/// ODK Collect for a chosen enumerator: a device key, shown once as the server URL to type in
/// Collect and as the QR code Collect's "Configure with QR code" reads.
#[component]
fn OdkCollect(
    api: Api,
    users: RwSignal<Option<Users>>,
    on_made: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let l = api.lang;
    let who = RwSignal::new(String::new());
    let key = RwSignal::new(None::<OdkKey>);
    let error = RwSignal::new(None::<String>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        for_enumerator(api, who, "/odk-keys", error, move |k| {
            key.set(Some(k));
            on_made();
        });
    };
    let qr = move || {
        key.get().and_then(|k| {
            qr_code(
                &k.collect_settings,
                240,
                l.t("QR code of the ODK Collect settings"),
            )
        })
    };
    view! {
        <section class="card">
            <h3>{l.t("Set up ODK Collect")}</h3>
            <p>{l.t("For a team that keeps ODK Collect: its interviews come into the same review and reports.")}</p>
            <form class="filters" on:submit=create>
                <div class="field"><label for="odk-user">{l.t("Enumerator")}</label>
                    <select id="odk-user" on:change=move |ev| who.set(event_target_value(&ev))>
                        <option value="">{l.t("Choose…")}</option>
                        {enumerator_options(users)}
                    </select>
                </div>
                <button type="submit" class="primary">{l.t("Make an ODK Collect key")}</button>
            </form>
            <Status error/>
            {move || key.get().map(|k| view! {
                <div class="code-box">
                    <p>{format!("{} {}", l.t("For"), k.username)}</p>
                    <p>{l.t("In ODK Collect: Add project, Configure with QR code, and scan this code. Or choose manual setup and type this server URL:")}</p>
                    <p class="id" id="odk-url">{k.server_url.clone()}</p>
                    <p>{l.t("Shown once. Anyone with this URL can send interviews as this enumerator: revoke the device below if a phone is lost.")}</p>
                </div>
            })}
            {qr}
        </section>
    }
}
