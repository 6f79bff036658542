//! The form screen, driven by the shared engine (`schema::inspect` for relevance, rows,
//! presets and filtered choices; `schema::validate` for messages). Each top-level group is a
//! page (questions outside groups share one), with previous/next, a progress bar and a
//! section list; the summary is a page of its own whose entries jump to the exact question
//! and row. Every change is saved to the draft at once; what is typed is kept exactly
//! (`crate::input`).

use std::collections::BTreeMap;
use std::sync::Arc;

use baraza_schema::form::{DEFAULT_LANGUAGE, Media, Text};
use baraza_schema::{Field, FieldState, Form, Issue, IssueKind, Kind, validate};
use leptos::prelude::*;
use serde_json::{Value as Json, json};
use wasm_bindgen::{JsCast, prelude::Closure};

use super::app::Screen;
use super::store::Draft;
use super::{Ctx, now_iso, run_sync, store, today};
use crate::draft::{self, Seg};
use crate::input;

/// What the questions of one scope (the form, or one repeat row) read. A row's questions
/// read their row's own slice of the answers, and every question reads its own entry of the
/// engine's states and messages (`PerPath`): a signal with thousands of subscribers costs the
/// square of their number on every change (Leptos shifts each re-run subscriber out of the
/// signal's ordered set), which made a 100-row roster take a second per answer.
#[derive(Clone)]
struct Fill {
    form: Arc<Form>,
    /// Where answers are written (the whole draft).
    answers: RwSignal<Json>,
    /// The answers of this scope, at `base`.
    read: Memo<Json>,
    base: Vec<Seg>,
    states: PerPath<FieldState>,
    issues: PerPath<Issue>,
    /// After a finalize attempt every message shows, not only those of answered questions.
    show_all: RwSignal<bool>,
    form_lang: RwSignal<String>,
}

/// A form-wide map by engine path (the states, the messages), read one path at a time: the
/// engine recomputes the map once per answer, and only the paths whose entry changed wake
/// the code that reads them (a trigger per path read, not a signal per entry: smaller).
struct PerPath<T: Send + Sync + 'static> {
    all: StoredValue<BTreeMap<String, T>>,
    slots: StoredValue<BTreeMap<String, ArcTrigger>>,
}

impl<T: Send + Sync + 'static> Clone for PerPath<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for PerPath<T> {}

impl<T: PartialEq + Send + Sync + 'static> PerPath<T> {
    fn new(all: BTreeMap<String, T>) -> Self {
        PerPath {
            all: StoredValue::new(all),
            slots: StoredValue::new(BTreeMap::new()),
        }
    }

    /// The entry at `key`, for reading with `Slot::with` (which tracks it).
    fn at(&self, key: &str) -> Slot<T> {
        let trigger = self
            .slots
            .write_value()
            .entry(key.to_owned())
            .or_default()
            .clone();
        Slot {
            all: self.all,
            key: key.to_owned(),
            trigger,
        }
    }

    /// Takes the engine's new map and wakes the paths whose entry changed.
    fn replace(&self, new: BTreeMap<String, T>) {
        let changed: Vec<ArcTrigger> = self.all.with_value(|old| {
            self.slots.with_value(|slots| {
                slots
                    .iter()
                    .filter(|(key, _)| old.get(*key) != new.get(*key))
                    .map(|(_, t)| t.clone())
                    .collect()
            })
        });
        self.all.set_value(new);
        for t in changed {
            t.notify();
        }
    }
}

/// One path's entry of a `PerPath`.
struct Slot<T: Send + Sync + 'static> {
    all: StoredValue<BTreeMap<String, T>>,
    key: String,
    trigger: ArcTrigger,
}

impl<T: Send + Sync + 'static> Clone for Slot<T> {
    fn clone(&self) -> Self {
        Slot {
            all: self.all,
            key: self.key.clone(),
            trigger: self.trigger.clone(),
        }
    }
}

impl<T: Send + Sync + 'static> Slot<T> {
    fn with<R>(&self, f: impl FnOnce(Option<&T>) -> R) -> R {
        self.trigger.track();
        self.all.with_value(|m| f(m.get(&self.key)))
    }
}

impl Fill {
    /// `Form::text_in`, written out: calling it costs the client 210 bytes gzipped
    /// (measured 2026-12-02, with `language_for` below), and the client is at its budget.
    fn text(&self, t: &BTreeMap<String, String>) -> String {
        let lang = self.form_lang.get();
        t.get(&lang)
            .or_else(|| {
                self.form
                    .settings
                    .default_language
                    .as_ref()
                    .and_then(|d| t.get(d))
            })
            .or_else(|| t.get(DEFAULT_LANGUAGE))
            .or_else(|| t.values().next())
            .cloned()
            .unwrap_or_default()
    }

    /// A text in the form's language with its `${field}` references rendered as seen from
    /// the question at `key` (`schema::render`). Only texts with references read the draft,
    /// so only they re-render when an answer changes.
    fn shown(&self, t: &Text, key: &str) -> String {
        let s = self.text(t);
        if !s.contains("${") {
            return s;
        }
        self.answers
            .with(|a| baraza_schema::render(&self.form, a, key, &s, today()))
    }

    /// An issue as a sentence: the form's own message in the form's language where it has
    /// one, else the app's words in the interface language.
    fn sentence(&self, ctx: Ctx, i: &Issue) -> String {
        let name = i.path.rsplit('/').next().unwrap_or_default();
        let name = name.split('[').next().unwrap_or_default();
        let field = self.form.field(name);
        let own = |t: Option<&Text>| t.map(|t| self.shown(t, &i.path)).filter(|m| !m.is_empty());
        match &i.kind {
            IssueKind::Required => own(field.map(|f| &f.required_message))
                .unwrap_or_else(|| ctx.t("required").to_owned()),
            IssueKind::ConstraintFailed | IssueKind::FormCheckFailed => {
                own(field.map(|f| &f.constraint_message))
                    .unwrap_or_else(|| ctx.t("constraint").to_owned())
            }
            IssueKind::WrongType { .. } => {
                let typed = self.answers.with_untracked(|a| {
                    draft::get(a, &draft::parse_path(&i.path))
                        .and_then(Json::as_str)
                        .map(str::to_owned)
                });
                let refusal = field
                    .zip(typed)
                    .and_then(|(f, t)| input::number(f.kind, &t, ctx.comma()).err());
                ctx.t(refusal.map_or("wrong_type", input::Refusal::key))
                    .to_owned()
            }
            IssueKind::RepeatCount { expected, found } => ctx
                .t("rows_expected")
                .replace("{0}", &expected.to_string())
                .replace("{1}", &found.to_string()),
            _ => i.message.clone(),
        }
    }

    /// Where an issue is, for people: "Household member 5: Relationship to the head".
    fn place(&self, path: &str) -> String {
        let mut out = String::new();
        for part in path.split('/') {
            let (name, row) = part.split_once('[').unwrap_or((part, ""));
            if let Some(f) = self.form.field(name) {
                out.push_str(&self.text(&f.label));
            }
            if !row.is_empty() {
                out.push(' ');
                out.push_str(row.trim_end_matches(']'));
                out.push_str(": ");
            }
        }
        out
    }

    fn visible(&self, key: &str) -> impl Fn() -> bool + Send + Sync + 'static {
        let state = self.states.at(key);
        move || state.with(|s| s.is_some_and(|s| s.relevant))
    }

    /// Writes an answer, completes the draft's structure and runs the engine over it once.
    fn set(&self, path: &[Seg], value: Option<Json>) {
        let mut states = None;
        self.answers.update(|a| {
            draft::set(a, path, value);
            states = Some(draft::complete_structure(&self.form, a, today()));
        });
        self.states.replace(states.unwrap_or_default());
        self.answers
            .with_untracked(|a| self.issues.replace(issues_of(&self.form, a)));
    }

    /// The answer at `path`, through a memo of its own: an answer elsewhere re-runs the memo
    /// (one lookup) but not the question's radio buttons, rankings and messages, which on a
    /// cheap phone cost 10–20 ms per keystroke when each read the whole scope. (`Null` for
    /// none: a `Memo<Json>` is already in the client, a `Memo<Option<Json>>` would not be.)
    fn value(&self, path: &[Seg]) -> impl Fn() -> Option<Json> + Send + Sync + Clone + 'static {
        let read = self.read;
        let path = path[self.base.len().min(path.len())..].to_vec();
        let at =
            Memo::new(move |_| read.with(|a| draft::get(a, &path).cloned().unwrap_or_default()));
        move || Some(at.get()).filter(|v| !v.is_null())
    }

    /// The scope of one repeat row, at `path` in the answers.
    fn scoped(&self, path: &[Seg]) -> Fill {
        let (read, rel) = (self.read, path[self.base.len()..].to_vec());
        Fill {
            read: Memo::new(move |_| {
                read.with(|a| draft::get(a, &rel).cloned().unwrap_or_default())
            }),
            base: path.to_vec(),
            ..self.clone()
        }
    }
}

/// The engine's messages for a draft, the first for each path.
fn issues_of(form: &Form, answers: &Json) -> BTreeMap<String, Issue> {
    let mut m = BTreeMap::new();
    for i in validate(form, answers, today()) {
        m.entry(i.path.clone()).or_insert(i);
    }
    m
}

/// The form language that matches the interface language, else the form's default
/// (`Form::language_for`, written out for size: see `Fill::text`).
fn pick_form_language(form: &Form, ui: &str) -> String {
    let tag = format!("({ui})");
    form.languages
        .iter()
        .find(|l| l.contains(&tag))
        .or(form.settings.default_language.as_ref())
        .or(form.languages.first())
        .cloned()
        .unwrap_or_else(|| DEFAULT_LANGUAGE.to_owned())
}

#[component]
pub fn FillScreen(response_id: String) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let loaded = RwSignal::new(None::<Result<(Draft, Arc<Form>), &'static str>>);
    let id = response_id.clone();
    leptos::task::spawn_local(async move {
        let s = store();
        let result = async {
            let draft = s
                .draft(&id)
                .await
                .map_err(|_| "err_storage")?
                .ok_or("err_draft_gone")?;
            // The forms this page already holds (`Ctx::forms`, read at start and each sync).
            let record = ctx
                .forms
                .get_untracked()
                .into_iter()
                .find(|f| f.form_id == draft.form_id && f.version == draft.form_version)
                .ok_or("err_draft_gone")?;
            let form = super::form_of(&record).ok_or("err_storage")?;
            Ok::<_, &'static str>((draft, form))
        }
        .await;
        loaded.set(Some(result));
    });
    move || match loaded.get() {
        None => view! { <p class="muted">"…"</p> }.into_any(),
        Some(Err(e)) => view! { <p class="error">{ctx.t(e)}</p> }.into_any(),
        Some(Ok((draft, form))) => {
            let ui = ctx.lang.get_untracked().code();
            view! { <FormBody draft=draft form=form ui=ui.to_owned() /> }.into_any()
        }
    }
}

/// One page of the form: a top-level group or repeat, or a run of questions outside groups.
struct Page {
    title: Text,
    fields: Vec<Field>,
    /// The group or repeat whose relevance decides whether the page applies.
    key: Option<String>,
}

fn pages(form: &Form) -> Vec<Page> {
    let mut out: Vec<Page> = Vec::new();
    for f in &form.fields {
        match f.kind {
            // Hidden calculations and metadata show nothing: they make no page of their own.
            Kind::Calculate if f.label.is_empty() => {}
            k if k.is_metadata() => {}
            Kind::Group | Kind::Repeat => out.push(Page {
                title: f.label.clone(),
                fields: if f.kind == Kind::Group {
                    f.children.clone()
                } else {
                    vec![f.clone()]
                },
                key: Some(f.name.clone()),
            }),
            _ => match out.last_mut() {
                Some(p) if p.key.is_none() => p.fields.push(f.clone()),
                _ => out.push(Page {
                    title: Text::new(),
                    fields: vec![f.clone()],
                    key: None,
                }),
            },
        }
    }
    out
}

/// The page that holds the question at an engine path (`member[5]/m_rel`).
fn page_of(form: &Form, pages: &[Page], path: &str) -> usize {
    let top = path.split(['/', '[']).next().unwrap_or_default();
    let mut found = 0;
    form.visit(&mut |f, parents| {
        if f.name == top {
            let outer = parents.first().map_or(f.name.as_str(), |p| p.name.as_str());
            found = pages
                .iter()
                .position(|p| {
                    p.key.as_deref() == Some(outer)
                        || p.key.is_none() && p.fields.iter().any(|x| x.name == outer)
                })
                .unwrap_or(0);
        }
    });
    found
}

/// The form screen: language, progress, section list, the page's questions, the summary and
/// the buttons. Long because a Leptos component is its signals and one `view!` tree; the
/// parts with logic of their own are components and functions beside it.
/// The form screen. With `on_save` (the console's editor) nothing is kept on this device:
/// the answers, once they pass the form's rules, go to `on_save` instead of the outbox.
#[component]
pub fn FormBody(
    draft: Draft,
    form: Arc<Form>,
    ui: String,
    #[prop(optional)] on_save: Option<Callback<Json>>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let screen = use_context::<RwSignal<Screen>>();
    let mut initial = draft.answers.clone();
    let states = PerPath::new(draft::complete_structure(&form, &mut initial, today()));
    let issues = PerPath::new(issues_of(&form, &initial));
    let answers = RwSignal::new(initial);
    let fill = Fill {
        form: form.clone(),
        answers,
        read: Memo::new(move |_| answers.get()),
        base: Vec::new(),
        states,
        issues,
        show_all: RwSignal::new(false),
        form_lang: RwSignal::new(pick_form_language(&form, &ui)),
    };
    // Autosave: every change reaches IndexedDB before the next screen can be left. The
    // line says "saved" until a save fails, then what to do: flipping it off and on for
    // each keystroke's few-millisecond save cost a cheap phone a second layout and paint
    // per key.
    let saved = RwSignal::new(true);
    let base = draft.clone();
    Effect::new(move |first: Option<()>| {
        let a = answers.get();
        if first.is_none() || on_save.is_some() {
            return;
        }
        let mut d = base.clone();
        d.answers = a;
        d.updated_at = now_iso();
        leptos::task::spawn_local(async move {
            let ok = store().save_draft(&d).await.is_ok();
            if ok != saved.get_untracked() {
                saved.set(ok);
            }
        });
    });
    let pages = Arc::new(pages(&form));
    let n = pages.len();
    let page = RwSignal::new(0usize);
    // A page applies unless its group's relevance says otherwise.
    let applies = {
        let pages = pages.clone();
        move |i: usize| {
            pages.get(i).is_none_or(|p| {
                p.key
                    .as_ref()
                    .is_none_or(|k| states.at(k).with(|s| s.is_none_or(|s| s.relevant)))
            })
        }
    };
    let step = {
        let applies = applies.clone();
        move |forward: bool| {
            let mut i = page.get_untracked();
            loop {
                i = if forward { i + 1 } else { i.saturating_sub(1) };
                if i == 0 || i >= n || applies(i) {
                    break;
                }
            }
            go(page, i.min(n));
        }
    };
    let show_all = fill.show_all;
    let f4 = form.clone();
    let parent_rev = draft.parent_rev.clone();
    let response_id = draft.response_id.clone();
    let finalize = move |_| {
        // The interview ends now (each finalize of a correction moves `end` on). Stamped on a
        // copy: changing the draft here would autosave it again after finalize deleted it.
        let mut a = answers.get_untracked();
        super::stamp(ctx, &f4, &mut a, true);
        let (payload, problems) = draft::prepare(&f4, &a, today());
        if !problems.is_empty() {
            show_all.set(true);
            return;
        }
        if let Some(save) = on_save {
            return save.run(payload);
        }
        let form = f4.clone();
        let parent = parent_rev.clone();
        let rid = response_id.clone();
        leptos::task::spawn_local(async move {
            let saved_at = Some(now_iso());
            let made = store()
                .finalize(&rid, |seq| {
                    draft::revision(&form, &rid, parent.as_deref(), &payload, seq, saved_at)
                })
                .await;
            if made.is_ok() {
                ctx.refresh().await;
                if let Some(screen) = screen {
                    screen.set(Screen::Records);
                }
                run_sync(ctx).await;
            }
        });
    };
    let languages = form.languages.clone();
    let lang_sig = fill.form_lang;
    let title = form.settings.title.clone();
    let sections = {
        let (fill, pages, applies) = (fill.clone(), pages.clone(), applies.clone());
        move || {
            pages
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let name = if p.title.is_empty() { title.clone() } else { fill.text(&p.title) };
                    view! {
                        <option value=i.to_string() prop:selected=move || page.get() == i disabled=!applies(i)>
                            {format!("{}. {name}", i + 1)}
                        </option>
                    }
                })
                .collect_view()
        }
    };
    let body = {
        let (fill, pages, form) = (fill.clone(), pages.clone(), form.clone());
        move || {
            let i = page.get();
            let Some(p) = pages.get(i) else {
                return summary_view(&fill, &form, &pages, page, finalize.clone());
            };
            let heading = (!p.title.is_empty()).then(|| {
                let (fill, t) = (fill.clone(), p.title.clone());
                view! { <h2 id="page-title">{move || fill.text(&t)}</h2> }
            });
            view! { {heading} {fields_view(&fill, &p.fields, Vec::new(), String::new())} }
                .into_any()
        }
    };
    let (s1, s2) = (step.clone(), step);
    // A form in one language (or none named) has nothing to choose.
    let one_language = languages.len() < 2;
    view! {
        <section class="card form">
            <h1>{form.settings.title.clone()}</h1>
            <div class="inline" hidden=one_language>
                <label for="form-lang">{ctx.tr("form_language")}</label>
                <select id="form-lang" on:change=move |ev| lang_sig.set(event_target_value(&ev))>
                    {languages
                        .into_iter()
                        .map(|l| {
                            let v = l.clone();
                            view! { <option value=v.clone() selected=move || lang_sig.get() == v>{l}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="inline">
                <label for="section">{ctx.tr("section")}</label>
                // The options' `selected` *property*: once a person has used the list, the
                // attribute no longer moves the selection, and after "Next" the list would
                // still name the page left behind.
                <select id="section" on:change=move |ev| {
                    go(page, event_target_value(&ev).parse().unwrap_or(0));
                }>
                    {sections}
                    <option value=n.to_string() prop:selected=move || page.get() == n>{ctx.tr("summary")}</option>
                </select>
            </div>
            <div
                class="progress"
                role="progressbar"
                aria-label=ctx.tr("progress")
                aria-valuemin="1"
                aria-valuemax=n + 1
                aria-valuenow=move || page.get() + 1
            >
                <span style:width=move || format!("{}%", (page.get() + 1) * 100 / (n + 1))></span>
            </div>
            <p id="saved" class=move || if saved.get() { "muted" } else { "error" }>
                {move || ctx.t(if saved.get() { "saved" } else { "err_storage" })}
            </p>
            {body}
            <div class="pager">
                <button id="prev" disabled=move || page.get() == 0 on:click=move |_| s1(false)>
                    {ctx.tr("previous")}
                </button>
                <button id="next" class="primary" hidden={move || page.get() >= n} on:click=move |_| s2(true)>
                    {ctx.tr("next")}
                </button>
            </div>
        </section>
    }
}

/// Shows page `i` from its top.
fn go(page: RwSignal<usize>, i: usize) {
    page.set(i);
    window().scroll_to_with_x_and_y(0.0, 0.0);
}

/// The summary page: what is left to fix, each entry jumping to its question and row, and
/// the finalize button once nothing is.
fn summary_view(
    fill: &Fill,
    form: &Arc<Form>,
    pages: &Arc<Vec<Page>>,
    page: RwSignal<usize>,
    finalize: impl Fn(leptos::ev::MouseEvent) + Clone + Send + Sync + 'static,
) -> AnyView {
    let ctx = expect_context::<Ctx>();
    fill.show_all.set(true);
    let (fill, form, pages) = (fill.clone(), form.clone(), pages.clone());
    let answers = fill.answers;
    let view = move || {
        // As finalize will see it: `end` is the moment of finalizing.
        let mut a = answers.get();
        super::stamp(ctx, &form, &mut a, true);
        let (_, list) = draft::prepare(&form, &a, today());
        if list.is_empty() {
            return view! {
                <div id="summary" class="summary">
                    <h2>{ctx.tr("summary")}</h2>
                    <p>{ctx.tr("no_issues")}</p>
                    <button id="finalize" class="primary" on:click=finalize.clone()>{ctx.tr("finalize")}</button>
                </div>
            }
            .into_any();
        }
        let n = list.len();
        let items = list
            .into_iter()
            .map(|i| {
                let at = page_of(&form, &pages, &i.path);
                let target = i.path.clone();
                view! {
                    <li>
                        <a href="#" on:click=move |ev| {
                            ev.prevent_default();
                            go(page, at);
                            let target = target.clone();
                            set_timeout(move || jump_to(&target), std::time::Duration::ZERO);
                        }>{fill.place(&i.path)}</a>
                        <span class="msg">{fill.sentence(ctx, &i)}</span>
                    </li>
                }
            })
            .collect_view();
        view! {
            <div id="summary" class="summary">
                <h2>{ctx.tr("summary")}</h2>
                <p class="warn">{n} " " {ctx.tr("issues_left")}</p>
                <ul class="issues">{items}</ul>
            </div>
        }
        .into_any()
    };
    view.into_any()
}

/// Moves to a question and focuses its control (or the nearest enclosing element that
/// exists: a row, then its repeat).
fn jump_to(id: &str) {
    let doc = document();
    let mut target = id.to_owned();
    loop {
        if let Some(el) = doc.get_element_by_id(&format!("q-{target}")) {
            el.scroll_into_view();
            if let Some(input) = el
                .query_selector("input, select, textarea, button")
                .ok()
                .flatten()
                && let Some(h) = input.dyn_ref::<web_sys::HtmlElement>()
            {
                let _ = h.focus();
            }
            return;
        }
        match target.rfind(['/', '[']) {
            Some(i) => target.truncate(i),
            None => return,
        }
    }
}

fn fields_view(fill: &Fill, fields: &[Field], base: Vec<Seg>, prefix: String) -> AnyView {
    fields
        .iter()
        .map(|f| field_view(fill, f, &base, &prefix))
        .collect_view()
        .into_any()
}

fn field_view(fill: &Fill, f: &Field, base: &[Seg], prefix: &str) -> AnyView {
    let key = format!("{prefix}{}", f.name);
    let visible = fill.visible(&key);
    let hide = move || if visible() { "" } else { "none" };
    let label = {
        let (fill, t) = (fill.clone(), f.label.clone());
        move || fill.text(&t)
    };
    match f.kind {
        Kind::Group => view! {
            <section class="group" id=format!("q-{key}") style:display=hide>
                <h2>{label}</h2>
                {fields_view(fill, &f.children, base.to_vec(), prefix.to_owned())}
            </section>
        }
        .into_any(),
        Kind::Repeat => repeat_view(fill, f, base, key),
        Kind::Calculate if f.label.is_empty() => ().into_any(),
        k if k.is_metadata() => ().into_any(),
        _ => question_view(fill, f, base, key),
    }
}

fn repeat_view(fill: &Fill, f: &Field, base: &[Seg], key: String) -> AnyView {
    let mut path = base.to_vec();
    path.push(Seg::Key(f.name.clone()));
    let answers = fill.answers;
    let rows_path = path.clone();
    let count = Memo::new(move |_| {
        answers.with(|a| {
            draft::get(a, &rows_path)
                .and_then(Json::as_array)
                .map_or(0, Vec::len)
        })
    });
    let fixed = f.repeat_count.is_some();
    // Rows beyond what `repeat_count` asks for, which the enumerator chooses among.
    let surplus = {
        let state = fill.states.at(&key);
        move || {
            state
                .with(|s| s.and_then(|s| s.rows))
                .is_some_and(|n| count.get() > n)
        }
    };
    let visible = fill.visible(&key);
    let label = {
        let (fill, t) = (fill.clone(), f.label.clone());
        move || fill.text(&t)
    };
    let ctx = expect_context::<Ctx>();
    let rows = {
        let (fill, f, path, key) = (fill.clone(), f.clone(), path.clone(), key.clone());
        let label = label.clone();
        // Keyed by position: a new row renders alone (rendering them all again cost a
        // cheap phone 0.3 s with 10 rows, 2.5 s with 100). Each row reads its answers by
        // position, so rows after a removed one show their new answers.
        view! {
            <For each=move || 0..count.get() key=|i| *i children=move |i| {
                    let mut row = path.clone();
                    row.push(Seg::Row(i));
                    let row_key = format!("{key}[{}]", i + 1);
                    let remove = {
                        let (fill, row) = (fill.clone(), row.clone());
                        move |_| {
                            // An answered row goes only once the enumerator confirms it.
                            let answered = fill.answers.with_untracked(|a| {
                                draft::get(a, &row).is_some_and(|r| draft::answered(&fill.form, r))
                            });
                            if !answered || window().confirm_with_message(ctx.t("confirm_remove_row")).unwrap_or(false) {
                                fill.set(&row, None);
                            }
                        }
                    };
                    let surplus = surplus.clone();
                    view! {
                        <div class="row" id=format!("q-{row_key}") data-row=row_key.clone()>
                            <div class="row-head">
                                <strong>{label.clone()} " " {i + 1}</strong>
                                <button class="small" hidden=move || fixed && !surplus() on:click=remove.clone()>
                                    {ctx.tr("remove_row")}
                                </button>
                            </div>
                            {fields_view(&fill.scoped(&row), &f.children, row.clone(), format!("{row_key}/"))}
                        </div>
                    }
                }
            />
        }
    };
    let add = {
        let (fill, path) = (fill.clone(), path.clone());
        move |_| {
            let n = count.get_untracked();
            let mut row = path.clone();
            row.push(Seg::Row(n));
            fill.set(&row, Some(json!({})));
        }
    };
    let message = message_view(fill, &key, Arc::new(|| true));
    view! {
        <fieldset class="repeat" id=format!("q-{key}") data-path=key.clone() style:display=move || if visible() { "" } else { "none" }>
            <legend>{label}</legend>
            {rows}
            {(!fixed).then(|| view! {
                <button class="add" on:click=add>"+ " {ctx.tr("add_row")}</button>
            })}
            {message}
        </fieldset>
    }
    .into_any()
}

/// The message for a path: shown once the question is answered, or for all after "check".
fn message_view(
    fill: &Fill,
    key: &str,
    answered: Arc<dyn Fn() -> bool + Send + Sync>,
) -> impl IntoView + use<> {
    let ctx = expect_context::<Ctx>();
    let (fill, issue) = (fill.clone(), fill.issues.at(key));
    move || {
        let show = fill.show_all.get() || answered();
        issue
            .with(|i| i.cloned())
            .filter(|_| show)
            .map(|i| view! { <p class="msg" role="alert">{fill.sentence(ctx, &i)}</p> })
    }
}

fn question_view(fill: &Fill, f: &Field, base: &[Seg], key: String) -> AnyView {
    let mut path = base.to_vec();
    path.push(Seg::Key(f.name.clone()));
    let visible = fill.visible(&key);
    let label = {
        let (fill, t, key) = (fill.clone(), f.label.clone(), key.clone());
        move || fill.shown(&t, &key)
    };
    let hint = {
        let (fill, t, key) = (fill.clone(), f.hint.clone(), key.clone());
        move || fill.shown(&t, &key)
    };
    let current = fill.value(&path);
    let answered: Arc<dyn Fn() -> bool + Send + Sync> = {
        let c = current.clone();
        Arc::new(move || c().is_some())
    };
    let message = message_view(fill, &key, answered);
    let required = f.required.is_some();
    let state = fill.states.at(&key);
    let preset = move || state.with(|s| s.and_then(|s| s.preset.clone()));
    let widget = if f.preset.is_some() {
        let fill = fill.clone();
        let list = f.list.clone().unwrap_or_default();
        view! {
            <p class="preset">
                {move || {
                    preset().map(|code| {
                        fill.form
                            .choice(&list, &code)
                            .map_or(code.clone(), |c| fill.text(&c.label))
                    })
                }}
            </p>
        }
        .into_any()
    } else {
        widget_view(fill, f, &path, &key, current)
    };
    // Choice lists, rankings and locations are groups of controls named by the question;
    // every other question has one control, which its label names and focuses.
    let group = matches!(f.kind, Kind::SelectMultiple | Kind::Rank | Kind::Geopoint)
        || f.kind == Kind::SelectOne && !is_dropdown(fill, f);
    view! {
        <div
            class="q"
            id=format!("q-{key}")
            data-path=key.clone()
            data-kind=f.kind.as_str()
            role=group.then_some("group")
            aria-labelledby=group.then(|| format!("l-{key}"))
            style:display=move || if visible() { "" } else { "none" }
        >
            <label class="q-label" id=format!("l-{key}") for=format!("f-{key}")>
                {label}
                {required.then_some(view! { <span class="req">" *"</span> })}
            </label>
            {media_view(fill, &f.media)}
            <p class="hint">{hint}</p>
            {widget}
            {message}
        </div>
    }
    .into_any()
}

/// The pictures, sounds and videos beside a label, in the form's language: kept on the phone
/// with the form (the files module's `keep_media`), where the service worker answers
/// `/media/<sha256>` offline. `big-image` is ODK's larger view on a tap: not shown here.
/// Written as markup (the file's sha256 is hex, checked): a view per element cost the client
/// 1 KB more (measured 2026-12-04).
#[cfg(feature = "app")]
fn media_view(fill: &Fill, media: &Media) -> impl IntoView + use<> {
    let (fill, media) = (fill.clone(), media.clone());
    let html = move || {
        let mut out = String::new();
        // As ODK shows them: the picture, then the video, then the sound.
        for (kind, open, close) in [
            ("image", "<img alt=\"\" src=/media/", ">"),
            ("video", "<video controls src=/media/", "></video>"),
            ("audio", "<audio controls src=/media/", "></audio>"),
        ] {
            if let Some(sha) = media
                .get(kind)
                .and_then(|t| fill.form.files.get(&fill.text(t)))
                && sha.bytes().all(|b| b.is_ascii_hexdigit())
            {
                out += open;
                out += sha;
                out += close;
            }
        }
        out
    };
    // Again when the form's language changes: a language may have pictures of its own.
    view! { <span class="media" inner_html=html></span> }
}

/// The console's editor has no phone's service worker and keeps no files: it shows the text.
#[cfg(not(feature = "app"))]
fn media_view(_: &Fill, _: &Media) {}

fn codes_of(v: Option<Json>) -> Vec<String> {
    v.and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|x| x.as_str().map(str::to_owned))
        .collect()
}

fn widget_view(
    fill: &Fill,
    f: &Field,
    path: &[Seg],
    key: &str,
    current: impl Fn() -> Option<Json> + Send + Sync + Clone + 'static,
) -> AnyView {
    let ctx = expect_context::<Ctx>();
    let set = {
        let (fill, path) = (fill.clone(), path.to_vec());
        move |v: Option<Json>| fill.set(&path, v)
    };
    let disabled = f.read_only;
    let id = format!("f-{key}");
    match f.kind {
        Kind::Text
        | Kind::Integer
        | Kind::Decimal
        | Kind::Range
        | Kind::Date
        | Kind::Time
        | Kind::DateTime
        | Kind::Barcode
        | Kind::Geotrace
        | Kind::Geoshape => {
            let kind = f.kind;
            // Numbers are typed into text boxes (with a numeric keyboard): a number box
            // hides what it cannot parse, and writing a parsed value back into the box while
            // typing turned 2500 into 2.05.
            let (input_type, mode) = match kind {
                Kind::Integer => ("text", "numeric"),
                Kind::Decimal | Kind::Range => ("text", "decimal"),
                Kind::Date => ("date", "text"),
                Kind::Time => ("time", "text"),
                Kind::DateTime => ("datetime-local", "text"),
                _ => ("text", "text"),
            };
            // The text as typed here; the box shows it as long as the draft holds what it
            // means, and the stored answer otherwise (a reopened draft, a row that moved).
            let typed = StoredValue::new(String::new());
            let scanned = set.clone();
            let on_input = move |ev: leptos::ev::Event| {
                let raw = event_target_value(&ev);
                let value = input::answer(kind, &raw, ctx.comma());
                typed.set_value(raw);
                set(value);
            };
            let value = move || {
                let cur = current();
                let t = typed.get_value();
                if input::answer(kind, &t, ctx.comma()) == cur {
                    t
                } else {
                    input::shown(cur.as_ref())
                }
            };
            if kind == Kind::Text && f.appearance.as_deref() == Some("multiline") {
                view! { <textarea id=id name=key.to_owned() prop:value=value on:input=on_input disabled=disabled></textarea> }.into_any()
            } else if kind == Kind::Barcode && super::files::scans() {
                // Typed, or read with the camera where the browser can (the files module).
                let scan = move |_| {
                    let set = scanned.clone();
                    leptos::task::spawn_local(async move {
                        if let Some(code) = super::files::scan().await {
                            typed.set_value(code.clone());
                            set(Some(Json::from(code)));
                        }
                    });
                };
                view! {
                    <input id=id type="text" autocomplete="off" name=key.to_owned() prop:value=value on:input=on_input disabled=disabled />
                    <button type="button" on:click=scan disabled=disabled>{ctx.tr("scan")}</button>
                }
                .into_any()
            } else {
                view! {
                    <input
                        id=id
                        type=input_type
                        inputmode=mode
                        autocomplete="off"
                        name=key.to_owned()
                        prop:value=value
                        on:input=on_input
                        disabled=disabled
                    />
                }
                .into_any()
            }
        }
        Kind::SelectOne => select_one_view(fill, f, key, current, set),
        Kind::SelectMultiple => select_multiple_view(fill, f, key, current, set),
        Kind::Rank => rank_view(fill, f, current, set, ctx),
        Kind::Geopoint => geopoint_view(current, set, ctx),
        Kind::Acknowledge => view! {
            <input
                id=id
                type="checkbox"
                prop:checked=move || current().is_some()
                on:change=move |ev| set(event_target_checked(&ev).then(|| Json::from("OK")))
                disabled=disabled
            />
        }
        .into_any(),
        // A photo, recording, video or file: chosen (or taken) with the phone's own chooser
        // and kept on the phone at once (the `files` module); the answer names it. Only a
        // phone can send a file: the console's editor (no enrollment) shows the name alone.
        Kind::Image | Kind::Audio | Kind::Video | Kind::File => {
            let (kind, px) = (f.kind, f.max_pixels());
            let phone = ctx.enrollment.with_untracked(Option::is_some);
            // A chosen file, or (`None`) a photo taken with the camera in the page.
            let keep = move |file: Option<web_sys::File>| {
                let set = set.clone();
                leptos::task::spawn_local(async move {
                    match super::files::keep(file, kind, px).await {
                        Ok(answer) => set(Some(answer)),
                        Err(e) => leptos::logging::warn!("keeping a file: {e:?}"),
                    }
                });
            };
            let take = keep.clone();
            let on_change = move |ev: leptos::ev::Event| {
                let input: web_sys::HtmlInputElement = event_target(&ev);
                if let Some(file) = input.files().and_then(|l| l.get(0)) {
                    keep(Some(file));
                }
            };
            let accept = (kind != Kind::File).then(|| baraza_schema::attachment::media_type(kind));
            let camera = kind == Kind::Image;
            view! {
                {phone.then(|| view! {
                    <input id=id type="file" accept=accept on:change=on_change disabled=disabled />
                    {camera.then(|| view! {
                        <button type="button" on:click=move |_| take(None) disabled=disabled>
                            {ctx.tr("camera")}
                        </button>
                    })}
                })}
                <p class="calc">
                    {move || current().and_then(|v| Some(v.get("name")?.as_str()?.to_owned()))}
                </p>
            }
            .into_any()
        }
        Kind::Calculate => {
            let state = fill.states.at(key);
            view! { <p class="calc">{move || state.with(|s| s.and_then(|s| s.value.clone()))}</p> }
                .into_any()
        }
        _ => ().into_any(),
    }
}

/// Whether a single choice is asked with a drop-down list (long lists, or `minimal`).
fn is_dropdown(fill: &Fill, f: &Field) -> bool {
    let list = f.list.as_deref().unwrap_or_default();
    fill.form.choices.get(list).map_or(0, Vec::len) > 8
        || f.appearance.as_deref() == Some("minimal")
}

/// The choices of a list offered here (the engine applies `choice_filter`).
fn offered(
    fill: &Fill,
    f: &Field,
    key: &str,
) -> impl Fn(&str) -> bool + Send + Sync + Clone + 'static {
    let state = fill.states.at(key);
    let filtered = f.choice_filter.is_some();
    move |code: &str| {
        !filtered
            || state.with(|s| {
                s.and_then(|s| s.choices.as_ref())
                    .is_some_and(|c| c.iter().any(|x| x == code))
            })
    }
}

fn select_one_view(
    fill: &Fill,
    f: &Field,
    key: &str,
    current: impl Fn() -> Option<Json> + Send + Sync + Clone + 'static,
    set: impl Fn(Option<Json>) + Send + Sync + Clone + 'static,
) -> AnyView {
    let ctx = expect_context::<Ctx>();
    let list = f.list.clone().unwrap_or_default();
    let choices = fill.form.choices.get(&list).cloned().unwrap_or_default();
    let offered = offered(fill, f, key);
    if is_dropdown(fill, f) {
        let cur = current.clone();
        let options = choices
            .into_iter()
            .map(|c| {
                let (fill, offered, code) = (fill.clone(), offered.clone(), c.name.clone());
                let code2 = code.clone();
                let cur = current.clone();
                view! {
                    <option
                        value=code.clone()
                        hidden=move || !offered(&code2)
                        selected=move || cur().as_ref().and_then(Json::as_str) == Some(code.as_str())
                    >
                        {move || fill.text(&c.label)}
                    </option>
                }
            })
            .collect_view();
        return view! {
            <select
                id=format!("f-{key}")
                name=key.to_owned()
                prop:value=move || input::shown(cur().as_ref())
                on:change=move |ev| {
                    let v = event_target_value(&ev);
                    set((!v.is_empty()).then_some(Json::String(v)));
                }
            >
                <option value="">{ctx.tr("choose")}</option>
                {options}
            </select>
        }
        .into_any();
    }
    choices
        .into_iter()
        .map(|c| {
            let (fill, offered, current, set) = (fill.clone(), offered.clone(), current.clone(), set.clone());
            let code = c.name.clone();
            let (c1, c2) = (code.clone(), code.clone());
            view! {
                <label class="choice" style:display=move || if offered(&c1) { "" } else { "none" }>
                    <input
                        type="radio"
                        name=key.to_owned()
                        value=code.clone()
                        prop:checked=move || current().as_ref().and_then(Json::as_str) == Some(c2.as_str())
                        on:change=move |_| set(Some(Json::String(code.clone())))
                    />
                    <span>{media_view(&fill, &c.media)} {move || fill.text(&c.label)}</span>
                </label>
            }
        })
        .collect_view()
        .into_any()
}

fn select_multiple_view(
    fill: &Fill,
    f: &Field,
    key: &str,
    current: impl Fn() -> Option<Json> + Send + Sync + Clone + 'static,
    set: impl Fn(Option<Json>) + Send + Sync + Clone + 'static,
) -> AnyView {
    let list = f.list.clone().unwrap_or_default();
    let choices = fill.form.choices.get(&list).cloned().unwrap_or_default();
    let order: Vec<String> = choices.iter().map(|c| c.name.clone()).collect();
    let offered = offered(fill, f, key);
    choices
        .into_iter()
        .map(|c| {
            let (fill, offered, current, set, order) = (
                fill.clone(),
                offered.clone(),
                current.clone(),
                set.clone(),
                order.clone(),
            );
            let code = c.name.clone();
            let (c1, c2) = (code.clone(), code.clone());
            let cur2 = current.clone();
            let toggle = move |ev: leptos::ev::Event| {
                let on = event_target_checked(&ev);
                let mut codes = codes_of(current());
                codes.retain(|c| *c != code);
                if on {
                    codes.push(code.clone());
                }
                let ordered: Vec<Json> = order
                    .iter()
                    .filter(|c| codes.contains(*c))
                    .map(|c| Json::String(c.clone()))
                    .collect();
                set((!ordered.is_empty()).then_some(Json::Array(ordered)));
            };
            view! {
                <label class="choice" style:display=move || if offered(&c1) { "" } else { "none" }>
                    <input
                        type="checkbox"
                        name=key.to_owned()
                        value=c2.clone()
                        prop:checked=move || codes_of(cur2()).contains(&c2)
                        on:change=toggle
                    />
                    <span>{media_view(&fill, &c.media)} {move || fill.text(&c.label)}</span>
                </label>
            }
        })
        .collect_view()
        .into_any()
}

fn rank_view(
    fill: &Fill,
    f: &Field,
    current: impl Fn() -> Option<Json> + Send + Sync + Clone + 'static,
    set: impl Fn(Option<Json>) + Send + Sync + Clone + 'static,
    ctx: Ctx,
) -> AnyView {
    let list = f.list.clone().unwrap_or_default();
    let choices = fill.form.choices.get(&list).cloned().unwrap_or_default();
    let label_of = {
        let (fill, choices) = (fill.clone(), choices.clone());
        move |code: &str| {
            choices
                .iter()
                .find(|c| c.name == code)
                .map_or(code.to_owned(), |c| fill.text(&c.label))
        }
    };
    let write = {
        let set = set.clone();
        move |codes: Vec<String>| {
            set((!codes.is_empty())
                .then(|| Json::Array(codes.into_iter().map(Json::String).collect())))
        }
    };
    // A drag by the grip (finger or mouse): which item, and the item it is over now.
    let drag = RwSignal::new(None::<(usize, usize)>);
    let ranked = {
        let (current, label_of, write) = (current.clone(), label_of.clone(), write.clone());
        move || {
            let codes = codes_of(current());
            let n = codes.len();
            codes
                .iter()
                .enumerate()
                .map(|(i, code)| {
                    let shift = {
                        let (codes, write) = (codes.clone(), write.clone());
                        move |to: Option<usize>| {
                            let mut c = codes.clone();
                            let item = c.remove(i);
                            if let Some(to) = to {
                                c.insert(to, item);
                            }
                            write(c);
                        }
                    };
                    let (s1, s2, s3, s4) = (shift.clone(), shift.clone(), shift.clone(), shift);
                    let grab = move |ev: leptos::ev::PointerEvent| {
                        if let Some(el) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
                            let _ = el.set_pointer_capture(ev.pointer_id());
                        }
                        drag.set(Some((i, i)));
                    };
                    let slide = move |ev: leptos::ev::PointerEvent| {
                        if drag.get_untracked().is_some()
                            && let Some(over) = ranked_at(ev.client_x(), ev.client_y())
                        {
                            drag.update(|d| *d = d.map(|(from, _)| (from, over.min(n - 1))));
                        }
                    };
                    let drop = move |_| {
                        if let Some((from, over)) = drag.get_untracked() {
                            drag.set(None);
                            if from != over {
                                s4(Some(over));
                            }
                        }
                    };
                    view! {
                        <li
                            class="ranked"
                            class:over=move || drag.get().is_some_and(|(from, over)| over == i && from != i)
                            class:dragged=move || drag.get().is_some_and(|(from, _)| from == i)
                            data-code=code.clone()
                            data-pos=i
                        >
                            <span
                                class="grip"
                                aria-hidden="true"
                                on:pointerdown=grab
                                on:pointermove=slide
                                on:pointerup=drop
                                on:pointercancel=move |_| drag.set(None)
                            >
                                "⠿"
                            </span>
                            <span class="pos">{i + 1}</span>
                            <span class="grow">{label_of(code)}</span>
                            <button class="small" aria-label=ctx.tr("up") disabled=i == 0 on:click=move |_| s1(Some(i.saturating_sub(1)))>"↑"</button>
                            <button class="small" aria-label=ctx.tr("down") disabled=i + 1 == n on:click=move |_| s2(Some((i + 1).min(n - 1)))>"↓"</button>
                            <button class="small" aria-label=ctx.tr("remove_row") on:click=move |_| s3(None)>"✕"</button>
                        </li>
                    }
                })
                .collect_view()
        }
    };
    let (status_of, total) = (current.clone(), choices.len());
    let unranked = move || {
        let codes = codes_of(current());
        choices
            .iter()
            .filter(|c| !codes.contains(&c.name))
            .map(|c| {
                let (codes, write, code) = (codes.clone(), write.clone(), c.name.clone());
                let add = move |_| {
                    let mut v = codes.clone();
                    v.push(code.clone());
                    write(v);
                };
                view! {
                    <li class="unranked" data-code=c.name.clone()>
                        <button class="add" on:click=add>"+ " {label_of(&c.name)}</button>
                    </li>
                }
            })
            .collect_view()
    };
    // How far the ranking is, and what is left: "4 / 6 ranked · Not ranked yet:".
    let status = move || {
        let n = codes_of(status_of()).len();
        let left = (n < total).then(|| format!(" · {}:", ctx.t("not_ranked")));
        format!(
            "{n} / {total} {}{}",
            ctx.t("ranked"),
            left.unwrap_or_default()
        )
    };
    view! {
        <ol class="rank">{ranked}</ol>
        <p class="muted" role="status">{status}</p>
        <ul class="rank-pool">{unranked}</ul>
    }
    .into_any()
}

/// The position of the ranked item under a point on the screen, if any.
fn ranked_at(x: i32, y: i32) -> Option<usize> {
    document()
        .element_from_point(x as f32, y as f32)?
        .closest("li.ranked")
        .ok()??
        .get_attribute("data-pos")?
        .parse()
        .ok()
}

fn geopoint_view(
    current: impl Fn() -> Option<Json> + Send + Sync + Clone + 'static,
    set: impl Fn(Option<Json>) + Send + Sync + Clone + 'static,
    ctx: Ctx,
) -> AnyView {
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let locate = move |_| {
        let Ok(geo) = window().navigator().geolocation() else {
            error.set(Some("no geolocation".into()));
            return;
        };
        busy.set(true);
        let set = set.clone();
        let ok = Closure::once_into_js(move |pos: web_sys::Position| {
            let c = pos.coords();
            let mut v =
                json!({"lat": c.latitude(), "lon": c.longitude(), "accuracy": c.accuracy()});
            if let Some(alt) = c.altitude() {
                v["alt"] = json!(alt);
            }
            set(Some(v));
            busy.set(false);
        });
        let fail = Closure::once_into_js(move |e: web_sys::PositionError| {
            error.set(Some(e.message()));
            busy.set(false);
        });
        let options = web_sys::PositionOptions::new();
        options.set_enable_high_accuracy(true);
        options.set_timeout(30_000);
        let _ = geo.get_current_position_with_error_callback_and_options(
            ok.unchecked_ref(),
            Some(fail.unchecked_ref()),
            &options,
        );
    };
    let shown = move || {
        current().map(|v| {
            format!(
                "{}, {} · {} ±{} m",
                v["lat"],
                v["lon"],
                ctx.t("accuracy"),
                v["accuracy"].as_f64().unwrap_or_default().round() as i64
            )
        })
    };
    // In the console's editor a location is shown, never taken: the supervisor's own position
    // is not the household's.
    if !cfg!(feature = "app") {
        return view! { <p class="geo">{shown}</p> }.into_any();
    }
    view! {
        <button class="locate" on:click=locate disabled=move || busy.get()>
            {move || ctx.t(if busy.get() { "locating" } else { "record_location" })}
        </button>
        <p class="geo">{shown}</p>
        <p class="msg">{move || error.get()}</p>
    }
    .into_any()
}
