//! The simulated panel's page, for development only: served when Ruji runs with
//! `--panel sim` ([`crate::Settings::sim_button`] set), never on a board.
//!
//! - `GET /dev/panel`: the LED drawn live (ES5 script polling the JSON below, works on old
//!   Chrome) with buttons for a short press and a 3-second hold.
//! - `GET /dev/panel.json`: what the panel shows ([`ruji_panel::PanelView`]) plus the state's
//!   labels.
//! - `POST /dev/panel/press`, `POST /dev/panel/hold`: press the simulated button (150 ms) or hold
//!   it (3.5 s). The levels go to the same gesture recogniser as a real button's, so a hold shuts
//!   Ruji down safely. Both need the header `X-Ruji-Dev: 1`, which a form on another site cannot
//!   send, so a page elsewhere cannot press the button through the developer's browser.

use std::time::Duration;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::error::render;
use crate::i18n::{Lang, Msg, Tr};
use crate::AppState;

/// How long the page's "hold" button keeps the simulated button down.
pub const HOLD: Duration = Duration::from_millis(3500);

/// Routes under `/dev` (merged only with a simulated panel), answered only to the machine
/// Ruji runs on: a hold shuts Ruji down, which no PC of the room may do.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dev/panel", get(page))
        .route("/dev/panel.json", get(view))
        .route("/dev/panel/press", post(press))
        .route("/dev/panel/hold", post(hold))
        .layer(axum::middleware::from_fn(loopback_only))
}

/// Refuses every client but the machine itself (a request without a known peer included).
async fn loopback_only(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let local = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .is_some_and(|c| c.0.ip().is_loopback());
    if !local {
        return (
            StatusCode::FORBIDDEN,
            "Halaman pengembang hanya dari komputer ini. / The developer page is for this machine only.\n",
        )
            .into_response();
    }
    next.run(req).await
}

#[derive(Template)]
#[template(path = "dev_panel.html")]
struct PanelPage {
    tr: Tr,
}

async fn page(headers: HeaderMap) -> Response {
    render(&PanelPage {
        tr: Tr {
            lang: Lang::from_headers(&headers),
        },
    })
}

/// The panel's view as JSON; `null` fields when no panel runs.
async fn view(State(state): State<AppState>) -> Json<Value> {
    let Some(v) = state.room.panel_view() else {
        return Json(Value::Null);
    };
    Json(json!({
        "state": v.state,
        "label_id": v.state.label_id(),
        "label_en": v.state.label_en(),
        "led_on": v.led_on,
        "attention": v.attention,
        "button_pressed": v.button_pressed,
        "button": v.button,
        "last_gesture": v.last_gesture,
        "gestures": v.gestures,
    }))
}

fn dev_header_ok(headers: &HeaderMap) -> bool {
    headers
        .get("x-ruji-dev")
        .is_some_and(|v| v.as_bytes() == b"1")
}

async fn press(State(state): State<AppState>, headers: HeaderMap) -> Response {
    push(state, headers, None)
}

async fn hold(State(state): State<AppState>, headers: HeaderMap) -> Response {
    push(state, headers, Some(HOLD))
}

/// Presses (or holds for `dur`) the simulated button in the background; answers at once.
fn push(state: AppState, headers: HeaderMap, dur: Option<Duration>) -> Response {
    if !dev_header_ok(&headers) {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({"error": "missing header X-Ruji-Dev: 1"})),
        )
            .into_response();
    }
    let Some(button) = state.settings.sim_button.clone() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if button.press().is_err() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"error": "the simulated panel is not running"})),
        )
            .into_response();
    }
    let dur = dur.unwrap_or(Duration::from_millis(150));
    tokio::spawn(async move {
        tokio::time::sleep(dur).await;
        let _ = button.release();
    });
    tracing::info!(
        ms = dur.as_millis() as u64,
        "dev page: simulated button pressed"
    );
    (
        StatusCode::ACCEPTED,
        Json(json!({"ok": true, "ms": dur.as_millis() as u64})),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    async fn app(sim: bool) -> (axum::Router, ruji_panel::PanelHandle, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store =
            ruji_store::Store::open(&dir.path().join("ruji.redb"), Default::default()).unwrap();
        let (button, events) = ruji_panel::sim_button(false);
        let spawned = ruji_panel::spawn(
            ruji_panel::NoLed,
            Some(events),
            ruji_panel::PanelConfig::default(),
        );
        // Keep reading gestures so the channel never fills; the test reads the view.
        let mut gestures = spawned.gestures;
        tokio::spawn(async move { while gestures.recv().await.is_some() {} });
        let room = ruji_room::Room::open(
            store,
            ruji_room::Settings {
                panel: Some(spawned.handle.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let settings = crate::Settings {
            sim_button: sim.then_some(button),
            ..Default::default()
        };
        let state = AppState::new(room, settings);
        (crate::router(state), spawned.handle, dir)
    }

    async fn call(app: &axum::Router, method: &str, uri: &str, dev: bool) -> (StatusCode, Value) {
        call_from(app, method, uri, dev, [127, 0, 0, 1]).await
    }

    async fn call_from(
        app: &axum::Router,
        method: &str,
        uri: &str,
        dev: bool,
        peer: [u8; 4],
    ) -> (StatusCode, Value) {
        let mut req =
            Request::builder()
                .method(method)
                .uri(uri)
                .extension(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                    peer, 40000,
                ))));
        if dev {
            req = req.header("x-ruji-dev", "1");
        }
        let resp = app
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    #[tokio::test]
    async fn press_goes_through_the_gesture_recogniser() {
        let (app, panel, _dir) = app(true).await;
        let (s, v) = call(&app, "GET", "/dev/panel.json", false).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["gestures"], 0);
        assert_eq!(v["button"], "simulated");
        let (s, _) = call(&app, "POST", "/dev/panel/press", false).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "the dev header is required");
        let (s, _) = call(&app, "POST", "/dev/panel/press", true).await;
        assert_eq!(s, StatusCode::ACCEPTED);
        let mut view = panel.view();
        tokio::time::timeout(Duration::from_secs(5), view.wait_for(|v| v.gestures == 1))
            .await
            .expect("a gesture within 5 s")
            .unwrap();
        let (_, v) = call(&app, "GET", "/dev/panel.json", false).await;
        assert_eq!(v["last_gesture"], "confirm");
        let (s, _) = call(&app, "GET", "/dev/panel", false).await;
        assert_eq!(s, StatusCode::OK);
    }

    #[tokio::test]
    async fn only_the_machine_itself_reaches_the_dev_page() {
        let (app, panel, _dir) = app(true).await;
        for (m, u) in [
            ("GET", "/dev/panel"),
            ("GET", "/dev/panel.json"),
            ("POST", "/dev/panel/press"),
            ("POST", "/dev/panel/hold"),
        ] {
            let (s, _) = call_from(&app, m, u, true, [192, 168, 0, 7]).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{m} {u} from a seat");
        }
        assert_eq!(panel.view().borrow().gestures, 0, "nothing was pressed");
    }

    #[tokio::test]
    async fn no_dev_page_without_the_simulated_panel() {
        let (app, _panel, _dir) = app(false).await;
        for (m, u) in [
            ("GET", "/dev/panel"),
            ("GET", "/dev/panel.json"),
            ("POST", "/dev/panel/hold"),
        ] {
            let (s, _) = call(&app, m, u, true).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{m} {u}");
        }
    }
}
