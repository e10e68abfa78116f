//! `POST /proctor/clock`: the board's wall clock set from the proctor's browser while it is not
//! set (the dashboard shows the form with the "clock not set" attention). With JavaScript the
//! browser's own time is sent (`browser_ms`), as shown in the form; without, or when the proctor
//! corrected the shown time, the typed local date and time in the chosen zone. The room decides
//! ([`ruji_room::Room::set_wall_clock`]: only while not set, never before this build) and audits.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{SameSite, SignedCookieJar};
use axum_extra::extract::Form;
use ruji_room::wallclock::ClockSource;
use ruji_room::RoomError;
use serde::Deserialize;

use super::{after, Proctor};
use crate::AppState;

/// The clock form.
#[derive(Deserialize)]
pub(crate) struct ClockForm {
    #[serde(default)]
    csrf: String,
    /// The browser's `Date.now()`, filled by the page's script while the shown time is the
    /// browser's own.
    #[serde(default)]
    browser_ms: String,
    /// `YYYY-MM-DDTHH:MM[:SS]` (a `datetime-local` field).
    #[serde(default)]
    local: String,
    /// Minutes east of UTC: 420 (WIB), 480 (WITA), 540 (WIT).
    #[serde(default)]
    zone: String,
}

pub(crate) async fn set(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    p: Proctor,
    jar: SignedCookieJar,
    Form(f): Form<ClockForm>,
) -> Response {
    if !p.csrf_ok(&f.csrf) {
        return p.csrf_refused("/proctor");
    }
    let typed = || {
        let zone: i64 = f
            .zone
            .trim()
            .parse()
            .ok()
            .filter(|z| [420, 480, 540].contains(z))?;
        ruji_core::wallclock::parse_local(&f.local, zone)
    };
    let to = f.browser_ms.trim().parse::<u64>().ok().or_else(typed);
    let r = match to {
        Some(to) => {
            let source = ClockSource::Proctor {
                client: addr.ip().to_string(),
            };
            state.room.set_wall_clock(to, source).await
        }
        None => Err(RoomError::Clock(ruji_core::wallclock::Refusal::OutOfRange)),
    };
    // The login was made while the clock was not set: now it also ends on the wall clock.
    let renewed = r
        .is_ok()
        .then(|| p.session.with_wall_end(state.cookie_time()))
        .flatten();
    let back = after(r, p.lang);
    match renewed {
        Some(value) => (
            jar.add(state.cookie(crate::auth::PROCTOR_COOKIE, value, SameSite::Strict)),
            back,
        )
            .into_response(),
        None => back,
    }
}
