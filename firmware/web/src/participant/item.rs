//! One item per page ("Soal nomor N"): the navigation grid, font size, countdown, the
//! doubtful mark; and the form that saves the answer without JavaScript.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use ruji_core::attempt::Phase;
use ruji_core::package::{ItemView, ViewBody};
use ruji_core::response::Response as Answer;
use ruji_room::participants::{item_view, ordered_items};

use super::{
    back_with_error, context, error_text, font_class, hms, next_url, on_a_test, Ended, ErrQuery,
    LoggedIn,
};
use crate::error::{render, ErrorCode};
use crate::i18n::{Msg, Tr};
use crate::AppState;

struct GridCell {
    n: usize,
    class: &'static str,
    current: bool,
}

struct Opt {
    id: String,
    html: String,
    checked: bool,
    /// Position letter (A, B, C...) in display order.
    label: char,
    /// The text without tags, for `<option>`.
    plain: String,
}

impl Opt {
    fn new(i: usize, c: &ruji_core::package::Choice, checked: bool) -> Opt {
        Opt {
            id: c.id.clone(),
            html: c.html.clone(),
            checked,
            label: (b'A' + (i % 26) as u8) as char,
            plain: strip_tags(&c.html),
        }
    }
}

/// Text of an HTML fragment without its tags (entities left as they are).
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

struct TfRow {
    idx: usize,
    html: String,
    t: bool,
    f: bool,
}

struct MatchRow {
    id: String,
    html: String,
    selected: String,
}

#[derive(Template)]
#[template(path = "item.html")]
struct ItemPage<'a> {
    tr: Tr,
    error: Option<&'a str>,
    font: &'static str,
    username: &'a str,
    name: &'a str,
    test_name: &'a str,
    test_id: &'a str,
    practice: bool,
    n: usize,
    total: usize,
    item_id: &'a str,
    kind: &'static str,
    stimulus_title: String,
    stimulus_html: String,
    prompt: &'a str,
    options: Vec<Opt>,
    select: u32,
    tf: Vec<TfRow>,
    premises: Vec<MatchRow>,
    targets: Vec<Opt>,
    text: String,
    max_chars: u32,
    doubtful: bool,
    rev: u64,
    grid: Vec<GridCell>,
    remaining_ms: u64,
    remaining: String,
    /// In a timed practice: the timer counts the practice down, and the page moves on to the
    /// test when it ends.
    practice_timed: bool,
    warning: bool,
    warning_ms: u64,
    /// Radio-button types cannot be emptied by clicking: they get a clear button.
    clearable: bool,
}

fn kind_name(b: &ViewBody) -> &'static str {
    match b {
        ViewBody::MultipleChoice { .. } => "multiple_choice",
        ViewBody::MultipleResponse { .. } => "multiple_response",
        ViewBody::TrueFalse { .. } => "true_false",
        ViewBody::Matching { .. } => "matching",
        ViewBody::ShortAnswer { .. } => "short_answer",
        ViewBody::Essay { .. } => "essay",
    }
}

pub(super) async fn page(
    State(state): State<AppState>,
    who: LoggedIn,
    headers: HeaderMap,
    Path(n): Path<usize>,
    Query(q): Query<ErrQuery>,
) -> Response {
    let lang = who.lang;
    let (ctx, test, attempt) = match on_a_test(&state, &who) {
        Ok(on) => on,
        Err(elsewhere) => return elsewhere.into_response(),
    };
    if !attempt.is_open() || ctx.needs_token() {
        return Redirect::to(next_url(&ctx)).into_response();
    }
    let test_id = test.id.clone();
    let order = ordered_items(&ctx);
    if n == 0 || n > order.len() {
        return Redirect::to("/exam/1").into_response();
    }
    let pkg = state.room.package();
    let id = &order[n - 1];
    let view = item_view(&ctx, &pkg, id);
    // While every test is paused, the practice's clock is stopped too.
    let practice_left = attempt.practice_remaining(ctx.now);
    let saved = ctx.answers.get(id);
    let resp = saved.and_then(|a| a.response.clone());
    let (stimulus_title, stimulus_html) = view
        .stimulus
        .as_ref()
        .and_then(|s| pkg.stimulus(s))
        .map(|s| (s.title.clone(), s.html.clone()))
        .unwrap_or_default();
    let mut page = ItemPage {
        tr: Tr { lang },
        error: error_text(&q, lang),
        font: font_class(&headers),
        username: &ctx.participant.username,
        name: &ctx.participant.name,
        test_name: &test.name,
        test_id: &test_id,
        practice: attempt.phase == Phase::Practice,
        n,
        total: order.len(),
        item_id: id,
        kind: kind_name(&view.body),
        stimulus_title,
        stimulus_html,
        prompt: &view.prompt,
        options: vec![],
        select: 0,
        tf: vec![],
        premises: vec![],
        targets: vec![],
        text: String::new(),
        max_chars: 0,
        doubtful: saved.is_some_and(|a| a.doubtful),
        rev: saved.map_or(0, |a| a.rev),
        grid: order
            .iter()
            .enumerate()
            .map(|(i, iid)| {
                let a = ctx.answers.get(iid);
                GridCell {
                    n: i + 1,
                    class: match a {
                        Some(a) if a.doubtful => "doubtful",
                        Some(a) if a.is_answered() => "answered",
                        _ => "unanswered",
                    },
                    current: i + 1 == n,
                }
            })
            .collect(),
        remaining_ms: match (&attempt.phase, practice_left) {
            (Phase::InProgress, _) => attempt.clock.remaining(ctx.now),
            (Phase::Practice, Some(left)) => left,
            _ => 0,
        },
        remaining: hms(practice_left.unwrap_or_else(|| attempt.clock.remaining(ctx.now))),
        practice_timed: practice_left.is_some(),
        warning: attempt.warning(ctx.now, &test.rules),
        warning_ms: test.rules.warning_window(attempt.clock.limit),
        clearable: matches!(
            view.body,
            ViewBody::MultipleChoice { .. } | ViewBody::TrueFalse { .. }
        ),
    };
    match (&view.body, &resp) {
        (ViewBody::MultipleChoice { options }, r) => {
            let chosen = match r {
                Some(Answer::Choice(c)) => Some(c),
                _ => None,
            };
            page.options = options
                .iter()
                .enumerate()
                .map(|(i, o)| Opt::new(i, o, chosen == Some(&o.id)))
                .collect();
        }
        (ViewBody::MultipleResponse { options, select }, r) => {
            let chosen: &[String] = match r {
                Some(Answer::Choices(c)) => c,
                _ => &[],
            };
            page.select = *select;
            page.options = options
                .iter()
                .enumerate()
                .map(|(i, o)| Opt::new(i, o, chosen.contains(&o.id)))
                .collect();
        }
        (ViewBody::TrueFalse { statements }, r) => {
            let v: &[Option<bool>] = match r {
                Some(Answer::TrueFalse(v)) => v,
                _ => &[],
            };
            page.tf = statements
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let a = v.get(i).copied().flatten();
                    TfRow {
                        idx: i,
                        html: s.html.clone(),
                        t: a == Some(true),
                        f: a == Some(false),
                    }
                })
                .collect();
        }
        (ViewBody::Matching { premises, targets }, r) => {
            let pairs: &[(String, String)] = match r {
                Some(Answer::Matching(p)) => p,
                _ => &[],
            };
            page.premises = premises
                .iter()
                .map(|p| MatchRow {
                    id: p.id.clone(),
                    html: p.html.clone(),
                    selected: pairs
                        .iter()
                        .find(|(a, _)| *a == p.id)
                        .map(|(_, b)| b.clone())
                        .unwrap_or_default(),
                })
                .collect();
            page.targets = targets
                .iter()
                .enumerate()
                .map(|(i, t)| Opt::new(i, t, false))
                .collect();
        }
        (ViewBody::ShortAnswer { max_chars } | ViewBody::Essay { max_chars }, r) => {
            page.max_chars = *max_chars;
            if let Some(Answer::Text(t)) = r {
                page.text = t.clone();
            }
        }
    }
    render(&page)
}

/// Builds a response from the item form's fields, by the item's type. `None` = nothing given.
pub fn response_from_form(view: &ItemView, form: &[(String, String)]) -> Option<Answer> {
    let get = |k: &str| form.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str());
    match &view.body {
        ViewBody::MultipleChoice { .. } => get("choice")
            .filter(|c| !c.is_empty())
            .map(|c| Answer::Choice(c.to_string())),
        ViewBody::MultipleResponse { .. } => {
            let cs: Vec<String> = form
                .iter()
                .filter(|(k, _)| k == "choices")
                .map(|(_, v)| v.clone())
                .collect();
            (!cs.is_empty()).then_some(Answer::Choices(cs))
        }
        ViewBody::TrueFalse { statements } => {
            let v: Vec<Option<bool>> = (0..statements.len())
                .map(|i| match get(&format!("tf{i}")) {
                    Some("true") => Some(true),
                    Some("false") => Some(false),
                    _ => None,
                })
                .collect();
            v.iter()
                .any(Option::is_some)
                .then_some(Answer::TrueFalse(v))
        }
        ViewBody::Matching { premises, .. } => {
            let pairs: Vec<(String, String)> = premises
                .iter()
                .filter_map(|p| {
                    get(&format!("m_{}", p.id))
                        .filter(|t| !t.is_empty())
                        .map(|t| (p.id.clone(), t.to_string()))
                })
                .collect();
            (!pairs.is_empty()).then_some(Answer::Matching(pairs))
        }
        ViewBody::ShortAnswer { .. } | ViewBody::Essay { .. } => {
            get("text").map(|t| Answer::Text(t.replace("\r\n", "\n")))
        }
    }
}

pub(super) async fn form(
    State(state): State<AppState>,
    who: LoggedIn,
    Path(n): Path<usize>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let here = format!("/exam/{n}");
    let ctx = match context(&state, &who) {
        Ok(c) => c,
        Err(e) => return back_with_error("/", &e),
    };
    let order = ordered_items(&ctx);
    let get = |k: &str| form.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str());
    let go = get("go").unwrap_or("save").to_string();
    let clear = go == "clear";
    // The form names its item: a stale page (order changed by practice → test) saves nothing.
    let Some(id) = n
        .checked_sub(1)
        .and_then(|i| order.get(i))
        .filter(|id| get("item") == Some(id.as_str()))
    else {
        return Redirect::to(next_url(&ctx)).into_response();
    };
    let pkg = state.room.package();
    let view = item_view(&ctx, &pkg, id);
    let response = if clear {
        None
    } else {
        response_from_form(&view, &form)
    };
    let doubtful = get("doubtful").is_some();
    let saved = state
        .room
        .save(&who.username, who.login_id, id, response, doubtful, 0)
        .await;
    if let Err(e) = saved.map_err(|e| who.fail(e)) {
        return match e.code {
            ErrorCode::TimeUp => Redirect::to(Ended::Timeout.done_url()).into_response(),
            ErrorCode::ForceFinished => Redirect::to(Ended::Proctor.done_url()).into_response(),
            ErrorCode::Finished | ErrorCode::AllDone => Redirect::to("/done").into_response(),
            ErrorCode::LoggedOut | ErrorCode::NotLoggedIn => back_with_error("/", &e),
            ErrorCode::TokenRequired => back_with_error("/confirm", &e),
            _ => back_with_error(&here, &e),
        };
    }
    // A font size button without a script: the answer typed so far is saved (above), then the
    // page comes back in the new size.
    if let Some(size) = go.strip_prefix("fs").and_then(|s| s.parse::<u8>().ok()) {
        let jar = axum_extra::extract::cookie::CookieJar::new().add(state.font_cookie(size));
        return (jar, Redirect::to(&here)).into_response();
    }
    let target = match go.as_str() {
        "prev" => format!("/exam/{}", n.saturating_sub(1).max(1)),
        "next" => format!("/exam/{}", (n + 1).min(order.len())),
        "finish" => "/finish".to_string(),
        "clear" => here,
        "practice_end" => match state.room.end_practice(&who.username, who.login_id).await {
            Ok(()) => "/exam/1".to_string(),
            Err(e) => return back_with_error(&here, &who.fail(e)),
        },
        g => match g.parse::<usize>() {
            Ok(k) if (1..=order.len()).contains(&k) => format!("/exam/{k}"),
            _ => here,
        },
    };
    Redirect::to(&target).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_become_responses() {
        let pkg = ruji_core::demo::package();
        let v = |id: &str| pkg.item(id).unwrap().view(None);
        let f = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            response_from_form(&v("D01"), &f(&[("choice", "B")])),
            Some(Answer::Choice("B".into()))
        );
        assert_eq!(response_from_form(&v("D01"), &f(&[])), None);
        assert_eq!(
            response_from_form(&v("D03"), &f(&[("choices", "A"), ("choices", "D")])),
            Some(Answer::Choices(vec!["A".into(), "D".into()]))
        );
        assert_eq!(
            response_from_form(&v("D04"), &f(&[("tf0", "true"), ("tf2", "false")])),
            Some(Answer::TrueFalse(vec![Some(true), None, Some(false)]))
        );
        assert_eq!(
            response_from_form(&v("D05"), &f(&[("m_1", "B"), ("m_2", "")])),
            Some(Answer::Matching(vec![("1".into(), "B".into())]))
        );
        assert_eq!(
            response_from_form(&v("D07"), &f(&[("text", "a\r\nb")])),
            Some(Answer::Text("a\nb".into()))
        );
    }
}
