//! `[[routes]]` (a tree: `[[routes.routes]]` are children) and
//! `[[time_intervals]]`, read and checked into [`RouteSettings`].
//!
//! A route matches an alert when all its matchers hold: `matchers =
//! ["brand = Acme", "urgency >= high"]`, plus the older shorthands
//! `min_urgency` (`urgency >= X`) and `brands` (brand is one of them).
//! Children inherit `receivers`, grouping and quiet hours unless they set
//! their own. Top-level routes `continue` by default (every matching route
//! alerts, as before the tree); children stop at the first match unless
//! they say `continue = true`.
//!
//! Tests: `config/tests.rs`.

use std::collections::HashMap;
use std::time::Duration;

use serde::Deserialize;

use super::load::names;
use super::receivers::ReceiverSettings;
use super::terms::Brand;
use crate::domain::{ReceiverName, Urgency};
use crate::routing::{Grouping, LabelName, Matcher, TimeInterval};

/// One checked route with everything it inherited resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteSettings {
    /// Where it is in the config, e.g. `routes[0].routes[1]`.
    pub path: String,
    pub matchers: Vec<Matcher>,
    /// Its own or inherited; never empty.
    pub receivers: Vec<ReceiverName>,
    /// After this route matched, its later siblings are tried too.
    pub continue_matching: bool,
    /// `None`: one message per alert.
    pub grouping: Option<Grouping>,
    /// Non-critical alerts are held while one of these is on.
    pub quiet_hours: Vec<TimeInterval>,
    pub routes: Vec<RouteSettings>,
}

impl RouteSettings {
    /// A top-level route over minimum urgency to `receivers` (what the
    /// demo adds for Slack).
    pub fn simple(path: impl Into<String>, receivers: Vec<ReceiverName>, min_urgency: Urgency) -> RouteSettings {
        RouteSettings {
            path: path.into(),
            matchers: vec![Matcher::at_least(min_urgency)],
            receivers,
            continue_matching: true,
            grouping: None,
            quiet_hours: Vec::new(),
            routes: Vec::new(),
        }
    }
}

/// A route as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRoute {
    receivers: Option<Vec<String>>,
    min_urgency: Option<Urgency>,
    #[serde(default)]
    brands: Vec<String>,
    #[serde(default)]
    matchers: Vec<String>,
    #[serde(rename = "continue")]
    continue_matching: Option<bool>,
    group_by: Option<Vec<String>>,
    #[serde(default, with = "humantime_serde")]
    group_wait: Option<Duration>,
    #[serde(default, with = "humantime_serde")]
    group_interval: Option<Duration>,
    #[serde(default, with = "humantime_serde")]
    repeat_interval: Option<Duration>,
    quiet_hours: Option<RawQuiet>,
    #[serde(default)]
    routes: Vec<RawRoute>,
}

/// `quiet_hours = "night"` (a `[[time_intervals]]` name) or inline.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawQuiet {
    Named(String),
    Inline(Vec<RawInterval>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawInterval {
    #[serde(default)]
    days: Vec<String>,
    start: String,
    end: String,
    #[serde(default = "utc")]
    time_zone: String,
}

fn utc() -> String {
    "UTC".into()
}

/// `[[time_intervals]]`: a named set of intervals routes refer to.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTimeIntervals {
    name: String,
    intervals: Vec<RawInterval>,
}

/// A refusal: the key path and the reason.
pub(super) type Refusal = (String, String);

/// What a child inherits from its parent.
#[derive(Clone, Default)]
struct Inherited {
    receivers: Vec<ReceiverName>,
    group_by: Option<Vec<LabelName>>,
    wait: Option<Duration>,
    interval: Option<Duration>,
    repeat: Option<Duration>,
    quiet: Vec<TimeInterval>,
}

/// Checks the routes against the defined receivers, brands and named
/// time intervals.
pub(super) fn check(
    raw: Vec<RawRoute>,
    intervals: Vec<RawTimeIntervals>,
    receivers: &[ReceiverSettings],
    brands: &[Brand],
) -> Result<Vec<RouteSettings>, Refusal> {
    let mut named: HashMap<String, Vec<TimeInterval>> = HashMap::new();
    for (i, t) in intervals.into_iter().enumerate() {
        if named.contains_key(&t.name) {
            return Err((format!("time_intervals[{i}].name"), format!("duplicate name {:?}", t.name)));
        }
        let checked = check_intervals(&format!("time_intervals[{i}].intervals"), t.intervals)?;
        named.insert(t.name, checked);
    }
    let cx = Cx { receivers, brands, named: &named };
    raw.into_iter().enumerate().map(|(i, r)| cx.route(format!("routes[{i}]"), r, &Inherited::default(), true)).collect()
}

struct Cx<'a> {
    receivers: &'a [ReceiverSettings],
    brands: &'a [Brand],
    named: &'a HashMap<String, Vec<TimeInterval>>,
}

impl Cx<'_> {
    fn route(&self, path: String, r: RawRoute, parent: &Inherited, top: bool) -> Result<RouteSettings, Refusal> {
        let at = |key: &str| format!("{path}.{key}");
        let mut matchers = Vec::new();
        if let Some(level) = r.min_urgency {
            matchers.push(Matcher::at_least(level));
        }
        for (j, b) in r.brands.iter().enumerate() {
            if !self.brands.iter().any(|x| x.name.as_str() == b) {
                let defined = names(self.brands.iter().map(|b| b.name.as_str()));
                return Err((at(&format!("brands[{j}]")), format!("unknown brand {b:?} (defined: {defined})")));
            }
        }
        if !r.brands.is_empty() {
            matchers.push(Matcher::one_of(LabelName::Brand, r.brands));
        }
        for (j, m) in r.matchers.iter().enumerate() {
            matchers.push(Matcher::parse(m).map_err(|e| (at(&format!("matchers[{j}]")), e))?);
        }

        let mut inherited = parent.clone();
        if let Some(list) = r.receivers {
            if list.is_empty() {
                return Err((at("receivers"), "a route needs at least one receiver".into()));
            }
            for (j, name) in list.iter().enumerate() {
                if !self.receivers.iter().any(|x| x.name.as_str() == name) {
                    let defined = names(self.receivers.iter().map(|r| r.name.as_str()));
                    return Err((
                        at(&format!("receivers[{j}]")),
                        format!("unknown receiver {name:?} (defined: {defined})"),
                    ));
                }
            }
            inherited.receivers = list.into_iter().map(ReceiverName::new).collect();
        }
        if let Some(by) = r.group_by {
            let by = by
                .iter()
                .enumerate()
                .map(|(j, l)| {
                    LabelName::parse(l).ok_or_else(|| {
                        (at(&format!("group_by[{j}]")), format!("unknown label {l:?} (known: {})", LabelName::list()))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            inherited.group_by = Some(by);
        }
        for (key, value, slot) in [
            ("group_wait", r.group_wait, &mut inherited.wait),
            ("group_interval", r.group_interval, &mut inherited.interval),
            ("repeat_interval", r.repeat_interval, &mut inherited.repeat),
        ] {
            if let Some(d) = value {
                if d.is_zero() && key != "group_wait" {
                    return Err((at(key), "must be longer than 0s".into()));
                }
                *slot = Some(d);
            }
        }
        match r.quiet_hours {
            None => {}
            Some(RawQuiet::Named(name)) => {
                inherited.quiet = self.named.get(&name).cloned().ok_or_else(|| {
                    let mut defined: Vec<&str> = self.named.keys().map(String::as_str).collect();
                    defined.sort_unstable();
                    let defined = names(defined.into_iter());
                    (at("quiet_hours"), format!("no [[time_intervals]] named {name:?} (defined: {defined})"))
                })?;
            }
            Some(RawQuiet::Inline(list)) => inherited.quiet = check_intervals(&at("quiet_hours"), list)?,
        }
        if inherited.receivers.is_empty() {
            return Err((at("receivers"), "a route needs at least one receiver (its own or its parent's)".into()));
        }
        let routes = r
            .routes
            .into_iter()
            .enumerate()
            .map(|(j, c)| self.route(format!("{path}.routes[{j}]"), c, &inherited, false))
            .collect::<Result<Vec<_>, _>>()?;
        let grouping = inherited.group_by.clone().map(|by| Grouping {
            by,
            wait: inherited.wait.unwrap_or(Grouping::DEFAULT_WAIT),
            interval: inherited.interval.unwrap_or(Grouping::DEFAULT_INTERVAL),
            repeat: inherited.repeat.unwrap_or(Grouping::DEFAULT_REPEAT),
        });
        Ok(RouteSettings {
            path,
            matchers,
            receivers: inherited.receivers,
            continue_matching: r.continue_matching.unwrap_or(top),
            grouping,
            quiet_hours: inherited.quiet,
            routes,
        })
    }
}

fn check_intervals(path: &str, list: Vec<RawInterval>) -> Result<Vec<TimeInterval>, Refusal> {
    list.into_iter()
        .enumerate()
        .map(|(k, i)| {
            TimeInterval::new(&i.days, &i.start, &i.end, &i.time_zone).map_err(|e| (format!("{path}[{k}]"), e))
        })
        .collect()
}
