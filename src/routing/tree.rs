//! Walking the route tree, Alertmanager's way: a route matches when all
//! its matchers hold; a matching route hands the alert to its children,
//! and if none of them matches, it delivers itself. Among siblings the
//! walk stops at the first match unless that route has `continue`.
//! Also: the tree printed for `earshot check-config` and the grouping a
//! route applies.

use std::fmt::Write as _;
use std::time::Duration;

use super::labels::{LabelName, Labels};
use crate::config::RouteSettings;

/// How a route folds its alerts into digests: one group per distinct
/// value of the `by` labels; the first alert of a group waits `wait`,
/// later ones go out at most every `interval`; a group quiet for
/// `repeat` starts afresh (with `wait` again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grouping {
    pub by: Vec<LabelName>,
    pub wait: Duration,
    pub interval: Duration,
    pub repeat: Duration,
}

impl Grouping {
    pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);
    pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5 * 60);
    pub const DEFAULT_REPEAT: Duration = Duration::from_secs(4 * 3600);

    /// The group an alert of `route` falls in: the route's path and the
    /// grouping labels' values, e.g. `routes[0]{brand="Acme",topic="billing"}`.
    pub fn key(&self, route: &str, labels: &Labels) -> String {
        let mut key = format!("{route}{{");
        for (i, name) in self.by.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            let _ = write!(key, "{sep}{name}={:?}", labels.joined(*name));
        }
        key.push('}');
        key
    }
}

/// One step of a walk, for `explain`.
pub(super) enum Step<'a> {
    /// The route's matchers held (or the first that failed, by index).
    Visit { route: &'a RouteSettings, depth: usize, failed: Option<usize> },
    /// The walk stopped trying siblings after this route.
    Stop { depth: usize },
}

/// The routes that deliver `labels`, in order; each visit is reported to
/// `trace`.
pub(super) fn walk<'a>(
    routes: &'a [RouteSettings],
    labels: &Labels,
    depth: usize,
    out: &mut Vec<&'a RouteSettings>,
    trace: &mut dyn FnMut(Step<'a>),
) -> bool {
    let mut any = false;
    for route in routes {
        let failed = route.matchers.iter().position(|m| !m.matches(labels));
        trace(Step::Visit { route, depth, failed });
        if failed.is_some() {
            continue;
        }
        any = true;
        if !walk(&route.routes, labels, depth + 1, out, trace) {
            out.push(route);
        }
        if !route.continue_matching {
            trace(Step::Stop { depth });
            break;
        }
    }
    any
}

/// The tree, one route per line, indented by depth.
pub fn render(routes: &[RouteSettings], indent: &str) -> String {
    let mut out = String::new();
    render_into(&mut out, routes, indent, 0);
    out
}

fn render_into(out: &mut String, routes: &[RouteSettings], indent: &str, depth: usize) {
    for r in routes {
        let pad = format!("{indent}{}", "  ".repeat(depth));
        let _ = writeln!(out, "{pad}- {}: {}", r.path, describe(r));
        render_into(out, &r.routes, indent, depth + 1);
    }
}

/// A route on one line: matchers, receivers and what else it does.
pub(super) fn describe(r: &RouteSettings) -> String {
    let matchers = if r.matchers.is_empty() {
        "every alert".to_string()
    } else {
        r.matchers.iter().map(|m| m.to_string()).collect::<Vec<_>>().join(", ")
    };
    let receivers: Vec<&str> = r.receivers.iter().map(|r| r.as_str()).collect();
    let mut line = format!("{matchers} -> {}", receivers.join(", "));
    if let Some(g) = &r.grouping {
        let by: Vec<&str> = g.by.iter().map(|l| l.as_str()).collect();
        let _ = write!(
            line,
            "; group by [{}] wait {} interval {} repeat {}",
            by.join(", "),
            humantime::format_duration(g.wait),
            humantime::format_duration(g.interval),
            humantime::format_duration(g.repeat)
        );
    }
    if !r.quiet_hours.is_empty() {
        let q: Vec<String> = r.quiet_hours.iter().map(|q| q.to_string()).collect();
        let _ = write!(line, "; quiet {}", q.join(" + "));
    }
    if r.continue_matching {
        line.push_str("; continue");
    }
    line
}
