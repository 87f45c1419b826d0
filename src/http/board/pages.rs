//! The queue pages: `GET /board` (unresolved items grouped by urgency,
//! oldest first), `GET /board/items/{id}` (one item, its post and its
//! audit trail) and `POST /board/items/{id}` (a move, an assignment to the
//! responder, with an optional note). Moves go through
//! `Store::queue_change` like the API's, recorded with `via = web` and the
//! responder's name.

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};

use super::auth::{csrf_input, FormViewer, PageViewer, Viewer};
use super::form_fields;
use super::html::{self, excerpt, post_link, span, when, Esc};
use crate::config::QueueSettings;
use crate::domain::{Platform, QueueItemId, Urgency};
use crate::http::AppState;
use crate::queue::sla::{self, SlaKind};
use crate::queue::{self as rules, Move, QueueState, Via};
use crate::store::{BoardItem, BoardScope, Breach, Change, QueueError, QueueEvent};

/// Items the queue page shows at most.
const MAX_ITEMS: u32 = 500;
/// Characters of a post shown on the queue page.
const EXCERPT_CHARS: usize = 200;
/// How often the queue page reloads itself, in seconds.
const REFRESH_SECS: u32 = 60;
/// The longest note a form may add.
const MAX_NOTE_CHARS: usize = 2000;

/// `GET /board?brand=`
pub async fn queue(
    PageViewer(viewer): PageViewer,
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let ctx = state.handle.context();
    let brand = q.get("brand").map(|b| b.trim()).filter(|b| !b.is_empty());
    let scope = BoardScope::Unresolved { brand: brand.map(str::to_string) };
    let mut items = match ctx.store.board_items(scope, MAX_ITEMS + 1).await {
        Ok(items) => items,
        Err(e) => return unavailable(&viewer, &e.to_string()),
    };
    let truncated = items.len() > MAX_ITEMS as usize;
    items.truncate(MAX_ITEMS as usize);
    let now = Utc::now();
    let brands: Vec<&str> = ctx.settings.brands.iter().map(|b| b.name.as_str()).collect();
    let mut body = brand_filter(&brands, brand);
    body.push_str(&summary(&items, now, truncated));
    for level in [Urgency::Critical, Urgency::High, Urgency::Normal, Urgency::Low] {
        let of_level: Vec<&BoardItem> = items.iter().filter(|i| i.queue.level == level).collect();
        if of_level.is_empty() {
            continue;
        }
        let _ = write!(
            body,
            r#"<h2 id="level-{level}">{title} ({n})</h2><table><thead><tr><th>Age</th><th>State</th><th>Brand</th>
<th>Platform</th><th>Author</th><th>Assignee</th><th>SLA</th><th>Post</th><th></th></tr></thead><tbody>"#,
            title = level_title(level),
            n = of_level.len(),
        );
        for item in of_level {
            body.push_str(&queue_row(item, &viewer, &ctx.settings.queue, now));
        }
        body.push_str("</tbody></table>");
    }
    html::refreshing_page(StatusCode::OK, "Rapid-response queue", Some(&viewer.chrome()), &body, Some(REFRESH_SECS))
}

/// The brand picker: a plain GET form.
fn brand_filter(brands: &[&str], selected: Option<&str>) -> String {
    let options: String = brands
        .iter()
        .map(|b| {
            let sel = if Some(*b) == selected { " selected" } else { "" };
            format!(r#"<option value="{v}"{sel}>{v}</option>"#, v = Esc(b))
        })
        .collect();
    format!(
        r#"<form method="get" action="/board" class="inline">Brand <select name="brand"><option value="">all brands</option>{options}</select> <button type="submit">Show</button></form>"#
    )
}

fn summary(items: &[BoardItem], now: DateTime<Utc>, truncated: bool) -> String {
    if items.is_empty() {
        return r#"<p class="message">Nothing waiting: no open or acknowledged items.</p>"#.to_string();
    }
    let open: Vec<&BoardItem> = items.iter().filter(|i| i.queue.state == QueueState::Open).collect();
    let oldest = open.iter().map(|i| i.queue.opened_at).min();
    let mut s =
        format!("<p>{} unresolved: {} open, {} acknowledged", items.len(), open.len(), items.len() - open.len());
    if let Some(t) = oldest {
        let _ = write!(s, "; oldest unacknowledged waiting {}", span((now - t).num_seconds()));
    }
    s.push_str(".</p>");
    if truncated {
        let _ = write!(s, r#"<p class="message">Showing the {MAX_ITEMS} most urgent and oldest items.</p>"#);
    }
    s
}

fn queue_row(item: &BoardItem, viewer: &Viewer, sla: &QueueSettings, now: DateTime<Utc>) -> String {
    let buttons: String = [(Move::Ack, "Acknowledge"), (Move::Resolve, "Resolve")]
        .into_iter()
        .filter(|(mv, _)| rules::apply(item.queue.state, *mv).is_ok())
        .map(|(mv, label)| format!(r#"<button type="submit" name="action" value="{}">{label}</button> "#, mv.as_str()))
        .collect();
    format!(
        r#"<tr id="item-{id}" class="lvl-{level}"><td title="opened {opened}">{age}</td>
<td class="state state-{state}">{state}</td><td>{brand}</td><td>{platform}</td><td>{author}</td><td>{assignee}</td>
<td>{due}</td><td class="post"><a href="/board/items/{id}">#{id}</a> {text}{topics}</td>
<td><form method="post" action="/board/items/{id}" class="inline">{csrf}<input type="hidden" name="back" value="queue">{buttons}</form></td></tr>
"#,
        id = item.queue.id,
        level = item.queue.level,
        opened = when(item.queue.opened_at),
        age = span((now - item.queue.opened_at).num_seconds()),
        state = item.queue.state,
        brand = Esc(&item.queue.brand),
        platform = Esc(platform_name(&item.platform)),
        author = Esc(&item.author),
        assignee = Esc(item.queue.assignee.as_deref().unwrap_or("—")),
        due = sla_due(item, sla, now),
        text = Esc(&excerpt(&item.text, EXCERPT_CHARS)),
        topics = topics(&item.topics),
        csrf = csrf_input(viewer),
    )
}

/// The running SLA clock of an unresolved item: "ack due in 12m" or
/// "resolve overdue 3m" (the resolve clock once acknowledged).
fn sla_due(item: &BoardItem, settings: &QueueSettings, now: DateTime<Utc>) -> String {
    let Some(kind) = [SlaKind::Ack, SlaKind::Resolve].into_iter().find(|k| k.running_in().contains(&item.queue.state))
    else {
        return String::new();
    };
    let allowed =
        chrono::Duration::from_std(sla::allowance(settings, item.queue.level, kind)).unwrap_or(chrono::Duration::MAX);
    let left =
        (item.queue.sla_since.checked_add_signed(allowed).unwrap_or(DateTime::<Utc>::MAX_UTC) - now).num_seconds();
    if left >= 0 {
        format!(r#"<span class="due">{kind} due in {}</span>"#, span(left))
    } else {
        format!(r#"<span class="overdue">{kind} overdue {}</span>"#, span(-left))
    }
}

/// A mention's topics after its text, muted.
fn topics(topics: &[String]) -> String {
    if topics.is_empty() {
        return String::new();
    }
    format!(r#" <span class="topics">· {}</span>"#, Esc(&topics.join(", ")))
}

/// `GET /board/items/{id}`
pub async fn item(PageViewer(viewer): PageViewer, State(state): State<AppState>, Path(id): Path<i64>) -> Response {
    let ctx = state.handle.context();
    let store = &ctx.store;
    let id = QueueItemId(id);
    let found = match store.board_items(BoardScope::Item(id), 1).await {
        Ok(items) => items.into_iter().next(),
        Err(e) => return unavailable(&viewer, &e.to_string()),
    };
    let Some(item) = found else {
        return not_found(&viewer, id);
    };
    let now = Utc::now();
    let (row, events) = match store.queue_item(id).await {
        Ok(Some(found)) => found,
        Ok(None) => return not_found(&viewer, id),
        Err(e) => return unavailable(&viewer, &e.to_string()),
    };
    let (breaches, customer) = match (store.queue_breaches(id).await, ctx.item_customer(&row, now).await) {
        (Ok(b), Ok(c)) => (b, c),
        (Err(e), _) | (_, Err(e)) => return unavailable(&viewer, &e.to_string()),
    };
    let service = ServiceRecord {
        customer: customer.map(|c| c.line).filter(|l| !l.is_empty()),
        breaches: &breaches,
        outcome: row.outcome.map(|o| o.words()),
    };
    let body = format!(
        "{details}<blockquote>{text}</blockquote>{actions}<h2>Audit trail</h2>{trail}",
        details = details(&item, &service, now),
        text = Esc(&item.text),
        actions = item_actions(&item, &viewer),
        trail = audit_trail(&events),
    );
    html::page(StatusCode::OK, &format!("Item {id}"), Some(&viewer.chrome()), &body)
}

/// What the queue knows beyond the post: the customer's history line,
/// SLA breaches, the follow-up outcome.
struct ServiceRecord<'a> {
    customer: Option<String>,
    breaches: &'a [Breach],
    outcome: Option<&'static str>,
}

impl ServiceRecord<'_> {
    fn breaches(&self) -> String {
        if self.breaches.is_empty() {
            return "none".to_string();
        }
        let lines: Vec<String> = self
            .breaches
            .iter()
            .map(|b| {
                format!(r#"<span class="overdue">not {} by {}</span>"#, b.kind.past_participle(), when(b.deadline))
            })
            .collect();
        lines.join("<br>")
    }
}

fn details(item: &BoardItem, service: &ServiceRecord<'_>, now: DateTime<Utc>) -> String {
    format!(
        r#"<table class="details"><tbody>
<tr><th>State</th><td class="state state-{state}" id="state">{state}</td></tr>
<tr><th>Urgency</th><td class="lvl-{level}">{level}</td></tr>
<tr><th>Brand</th><td>{brand}</td></tr>
<tr><th>Platform</th><td>{platform}</td></tr>
<tr><th>Author</th><td>{author}</td></tr>
<tr><th>Assignee</th><td>{assignee}</td></tr>
<tr><th>Customer</th><td>{customer}</td></tr>
<tr><th>SLA breaches</th><td>{breaches}</td></tr>
<tr><th>Follow-up</th><td>{outcome}</td></tr>
<tr><th>Topics</th><td>{topics}</td></tr>
<tr><th>Why this urgency</th><td>{reasons}</td></tr>
<tr><th>Posted</th><td>{posted} {link}</td></tr>
<tr><th>Opened</th><td>{opened} ({age} ago)</td></tr>
</tbody></table>"#,
        state = item.queue.state,
        level = item.queue.level,
        brand = Esc(&item.queue.brand),
        platform = Esc(platform_name(&item.platform)),
        author = Esc(&item.author),
        assignee = Esc(item.queue.assignee.as_deref().unwrap_or("—")),
        customer = Esc(service.customer.as_deref().unwrap_or("first time we hear from them")),
        breaches = service.breaches(),
        outcome = service.outcome.unwrap_or("—"),
        topics = Esc(&item.topics.join(", ")),
        reasons = Esc(&item.reasons.join("; ")),
        posted = when(item.posted_at),
        link = post_link(&item.url, "open the post"),
        opened = when(item.queue.opened_at),
        age = span((now - item.queue.opened_at).num_seconds()),
    )
}

fn item_actions(item: &BoardItem, viewer: &Viewer) -> String {
    let mut buttons: String = Move::ALL
        .into_iter()
        .filter(|mv| rules::apply(item.queue.state, *mv).is_ok())
        .map(|mv| {
            format!(r#"<button type="submit" name="action" value="{}">{}</button> "#, mv.as_str(), move_label(mv))
        })
        .collect();
    if item.queue.assignee.as_deref() != Some(viewer.name()) {
        buttons.push_str(r#"<button type="submit" name="action" value="assign_me">Assign to me</button>"#);
    }
    format!(
        r#"<form method="post" action="/board/items/{id}">{csrf}<input type="hidden" name="back" value="item">
<label>Note (optional) <input name="note" maxlength="{MAX_NOTE_CHARS}" size="60"></label>{buttons}</form>"#,
        id = item.queue.id,
        csrf = csrf_input(viewer),
    )
}

fn audit_trail(events: &[QueueEvent]) -> String {
    let mut s = String::from(
        "<table><thead><tr><th>When</th><th>Move</th><th>Who</th><th>Via</th><th>Note</th></tr></thead><tbody>",
    );
    for e in events {
        let from = e.from.as_deref().map(|f| format!("{} → ", Esc(f))).unwrap_or_default();
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{from}{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            when(e.at),
            Esc(&e.to),
            Esc(&e.actor),
            Esc(&e.via),
            Esc(e.note.as_deref().unwrap_or("")),
        );
    }
    s.push_str("</tbody></table>");
    s
}

/// `POST /board/items/{id}` (form: `csrf`, `action`, optional `note`,
/// `back` = `item` to return to the item page rather than the queue).
pub async fn act(
    FormViewer(viewer): FormViewer,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    body: Bytes,
) -> Response {
    let fields = form_fields(&body);
    if !viewer.csrf_ok(&fields) {
        return viewer.csrf_refused();
    }
    let change = match change(&fields, &viewer) {
        Ok(c) => c,
        Err(msg) => return html::message(StatusCode::BAD_REQUEST, "Bad request", Some(&viewer.chrome()), &msg),
    };
    let id = QueueItemId(id);
    match state.handle.context().queue_change(id, &change).await {
        Ok(_) if fields.get("back").map(String::as_str) == Some("item") => {
            Redirect::to(&format!("/board/items/{id}")).into_response()
        }
        Ok(_) => Redirect::to(&format!("/board#item-{id}")).into_response(),
        Err(QueueError::NotFound(_)) => not_found(&viewer, id),
        Err(QueueError::Invalid(e)) => html::message(
            StatusCode::CONFLICT,
            "Not possible",
            Some(&viewer.chrome()),
            &format!("Item {id}: {e} (someone may have moved it meanwhile)."),
        ),
        Err(QueueError::Store(e)) => unavailable(&viewer, &e.to_string()),
    }
}

/// The change a form asks for, made by `viewer` from the web.
fn change<'a>(fields: &'a HashMap<String, String>, viewer: &'a Viewer) -> Result<Change<'a>, String> {
    let note = fields.get("note").map(|n| n.trim()).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        return Err(format!("note: at most {MAX_NOTE_CHARS} characters"));
    }
    let action = fields.get("action").map_or("", String::as_str);
    let (mv, assign) = match action {
        "assign_me" => (None, Some(Some(viewer.name()))),
        other => (Some(Move::parse(other).ok_or_else(|| format!("unknown action {other:?}"))?), None),
    };
    Ok(Change { mv, assign, note, actor: viewer.name(), via: Via::Web })
}

fn not_found(viewer: &Viewer, id: QueueItemId) -> Response {
    html::message(StatusCode::NOT_FOUND, "No such item", Some(&viewer.chrome()), &format!("No item {id}."))
}

fn unavailable(viewer: &Viewer, error: &str) -> Response {
    html::message(StatusCode::SERVICE_UNAVAILABLE, "Database unavailable", Some(&viewer.chrome()), error)
}

fn level_title(level: Urgency) -> &'static str {
    match level {
        Urgency::Critical => "Critical",
        Urgency::High => "High",
        Urgency::Normal => "Normal",
        Urgency::Low => "Low",
    }
}

fn move_label(mv: Move) -> &'static str {
    match mv {
        Move::Ack => "Acknowledge",
        Move::Resolve => "Resolve",
        Move::FollowUp => "Mark followed up",
        Move::Dismiss => "Dismiss",
        Move::Reopen => "Reopen",
    }
}

/// A platform's display name, or the stored name when unknown.
fn platform_name(stored: &str) -> &str {
    Platform::parse(stored).map_or(stored, |p| p.display_name())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::MentionId;
    use crate::store::QueueItemRow;

    #[test]
    fn the_running_sla_clock_is_shown_due_or_overdue() {
        let settings = QueueSettings::default();
        let now = Utc::now();
        let mut item = BoardItem {
            queue: QueueItemRow {
                id: QueueItemId(1),
                mention_id: MentionId(1),
                brand: "Acme Air".into(),
                level: Urgency::Critical,
                state: QueueState::Open,
                assignee: None,
                opened_at: now,
                updated_at: now,
                sla_since: now,
                acked_at: None,
                resolved_at: None,
                reminded_at: None,
                outcome: None,
            },
            platform: "x".into(),
            author: "dana".into(),
            text: String::new(),
            url: String::new(),
            posted_at: now,
            topics: vec![],
            reasons: vec![],
        };
        let ack = chrono::Duration::from_std(sla::allowance(&settings, Urgency::Critical, SlaKind::Ack)).unwrap();
        assert!(sla_due(&item, &settings, now).starts_with(r#"<span class="due">ack due in"#));
        let late = now + ack + chrono::Duration::minutes(3);
        assert_eq!(sla_due(&item, &settings, late), r#"<span class="overdue">ack overdue 3m</span>"#);
        item.queue.state = QueueState::Acknowledged;
        assert!(sla_due(&item, &settings, now).contains("resolve due in"));
        item.queue.state = QueueState::Resolved;
        assert_eq!(sla_due(&item, &settings, now), "");
    }
}
